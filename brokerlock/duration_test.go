package brokerlock

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	testDay  = 24 * time.Hour
	testYear = 8766 * time.Hour // 365.25 days
)

var validDurations = []struct {
	in   string
	want time.Duration
}{
	// Every ms unit spelling.
	{"1ms", time.Millisecond},
	{"1msec", time.Millisecond},
	{"2msecs", 2 * time.Millisecond},
	{"1millisecond", time.Millisecond},
	{"2milliseconds", 2 * time.Millisecond},
	{"1s", time.Second},
	{"1sec", time.Second},
	{"2secs", 2 * time.Second},
	{"1second", time.Second},
	{"60seconds", time.Minute},
	{"1m", time.Minute},
	{"1min", time.Minute},
	{"2mins", 2 * time.Minute},
	{"1minute", time.Minute},
	{"2minutes", 2 * time.Minute},
	{"1h", time.Hour},
	{"1hr", time.Hour},
	{"2hrs", 2 * time.Hour},
	{"1hour", time.Hour},
	{"24hours", 24 * time.Hour},
	{"1d", testDay},
	{"1day", testDay},
	{"2days", 2 * testDay},
	{"1w", 7 * testDay},
	{"1week", 7 * testDay},
	{"2weeks", 14 * testDay},
	{"1y", testYear},
	{"1yr", testYear},
	{"2yrs", 2 * testYear},
	{"1year", testYear},
	{"2years", 2 * testYear},

	// A bare number is milliseconds.
	{"100", 100 * time.Millisecond},
	{"0", 0},
	{"1.5", 1500 * time.Microsecond},
	{"007", 7 * time.Millisecond},

	// Spaces between number and unit; surrounding white space.
	{"10 s", 10 * time.Second},
	{"10   s", 10 * time.Second},
	{"2 minutes", 2 * time.Minute},
	{" 60s ", time.Minute},
	{"\t1h\n", time.Hour},
	{"100 ", 100 * time.Millisecond},

	// Case.
	{"2 Minutes", 2 * time.Minute},
	{"1H", time.Hour},
	{"1M", time.Minute},
	{"1MS", time.Millisecond},
	{"3 DAYS", 3 * testDay},
	{"1Y", testYear},

	// Fractions, exact.
	{"1.5h", 90 * time.Minute},
	{"1.5 h", 90 * time.Minute},
	{"0.001 s", time.Millisecond},
	{"0.001s", time.Millisecond},
	{".5s", 500 * time.Millisecond},
	{"0.1 s", 100 * time.Millisecond},
	{"1.5d", 36 * time.Hour},
	{"0.5w", 84 * time.Hour},
	{"0.5y", 4383 * time.Hour},
	{"0.000001ms", time.Nanosecond},
	{"0.1 hours", 6 * time.Minute},
	{"0.3333333333333333333333 hours", 20 * time.Minute},
	{"1.0000000000000000000000001 days", testDay},

	// Rounding to the nearest nanosecond, halves away from zero.
	{"0.0000005 ms", time.Nanosecond},
	{"0.0000004999 ms", 0},
	{"-0.0000005 ms", -time.Nanosecond},
	{"-0.0000004999 ms", 0},
	{"1.0000000015 S", time.Second + 2*time.Nanosecond},
	{"0.0000000015 s", 2 * time.Nanosecond},

	// Negatives.
	{"-1s", -time.Second},
	{"-100", -100 * time.Millisecond},
	{"-.5 h", -30 * time.Minute},
	{"-1.5 Days", -36 * time.Hour},

	// The edges of time.Duration.
	{"292y", 292 * testYear},
	{"-292 years", -292 * testYear},
	{"9223372036854.775807 ms", 1<<63 - 1},
	{"9223372036854.7758074 ms", 1<<63 - 1},
	{"-9223372036854.775808 ms", -1 << 63},
	{"-9223372036854.7758084 ms", -1 << 63},

	// Go forms, with time.ParseDuration's results.
	{"1h30m", 90 * time.Minute},
	{"500ms", 500 * time.Millisecond},
	{"1.5µs", 1500 * time.Nanosecond},
	{"1.5μs", 1500 * time.Nanosecond},
	{"1.5us", 1500 * time.Nanosecond},
	{"3ns", 3 * time.Nanosecond},
	{"2h45m0.5s", 2*time.Hour + 45*time.Minute + 500*time.Millisecond},
	{"-1m", -time.Minute},
	{"+3s", 3 * time.Second},
	{"1.s", time.Second},
	{"1h1m1s1ms1us1ns", time.Hour + time.Minute + time.Second + time.Millisecond + time.Microsecond + time.Nanosecond},
	{"-9223372036854775808ns", -1 << 63},
	// time.ParseDuration truncates below a nanosecond; it wins here.
	{"0.0000000015s", time.Nanosecond},
	// No length limit on Go forms.
	{strings.Repeat("0", 120) + "1s", time.Second},
	// A Deepkit form of exactly 100 characters.
	{strings.Repeat("0", 99) + "1", time.Millisecond},
}

var invalidDurations = []string{
	"",
	" ",
	"\t\n",
	"s",
	"ms",
	"-",
	".",
	"1.",
	"-1.",
	"1..5s",
	"1.5.5s",
	"--1s",
	"- 1s",
	"+1 s",
	"+100",
	"1e3",
	"1e30ms",
	"1E3s",
	"0x10",
	"1_000ms",
	"NaN",
	"Inf",
	"-Inf",
	"infinity",
	"NaNs",
	"1 ns",
	"1 us",
	"1µ s",
	"1 µs",
	"10\ts",
	"1h 30m",
	"1h30",
	"1 h30m",
	"1x",
	"1 month",
	"1 mo",
	"1secondss",
	"1\u017f", // U+017F folds to "s" under Unicode case folding, not in JavaScript.
	"1\u212a", // Kelvin sign.
	"\uff11s", // Fullwidth digit one.
	"1s\x00",
	"abc",
	"300y",
	"293 years",
	"-300y",
	"1000000000000000000000ms",
	"1000000000000000000000",
	"9223372036854775807",
	"9223372036854.775808 ms",
	"9223372036854.7758075 ms",
	"-9223372036854.7758085 ms",
	"9223372036854775808ns",
	"2562048h",
	strings.Repeat("0", 100) + "1",
	strings.Repeat("9", 200) + "h",
}

func TestParseDurationValid(t *testing.T) {
	for _, tc := range validDurations {
		got, err := ParseDuration(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, nil", tc.in, got, err, tc.want)
		}
	}
}

func TestParseDurationInvalid(t *testing.T) {
	for _, in := range invalidDurations {
		got, err := ParseDuration(in)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseDuration(%q) = %v, %v; want an error wrapping ErrInvalid", in, got, err)
			continue
		}
		if !strings.Contains(err.Error(), strconv.Quote(in)) {
			t.Errorf("ParseDuration(%q) error %q does not name the input", in, err)
		}
	}
}

func TestParseDurationReasons(t *testing.T) {
	for _, tc := range []struct{ in, reason string }{
		{"  ", "empty"},
		{"1 month", `unknown unit "month"`},
		{"1 ns", `unknown unit "ns"`},
		{"300y", "out of range"},
		{"-1000000000000000000000", "out of range"},
		{"9223372036854775808ns", "out of range"},
		{"1h1" + strings.Repeat("0", 20) + "m", "out of range"},
		{strings.Repeat("1", 101), "longer than 100 characters"},
		{"1h 30m", "want a Go duration"},
		{"1e3s", "want a Go duration"},
	} {
		_, err := ParseDuration(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("ParseDuration(%q) error %v; want one saying %q", tc.in, err, tc.reason)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, tc := range validDurations {
		f.Add(tc.in)
	}
	for _, in := range invalidDurations {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseDuration(in)
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("ParseDuration(%q) error %v does not wrap ErrInvalid", in, err)
		}
		checkAgainstGo(t, in, got, err)
		checkNegation(t, in, got, err)
	})
}

// checkAgainstGo checks that whatever time.ParseDuration accepts,
// ParseDuration accepts with the same result, and that goDuration (which
// picks the "out of range" message) covers time.ParseDuration's grammar.
func checkAgainstGo(t *testing.T, in string, got time.Duration, err error) {
	want, goErr := time.ParseDuration(in)
	if goErr != nil {
		return
	}
	if err != nil || got != want {
		t.Fatalf("ParseDuration(%q) = %v, %v; time.ParseDuration says %v", in, got, err, want)
	}
	if !goDuration.MatchString(in) && strings.TrimLeft(in, "+-") != "0" {
		t.Fatalf("goDuration does not match %q, which time.ParseDuration accepts", in)
	}
}

// checkNegation checks that a leading "-" negates an unsigned input.
func checkNegation(t *testing.T, in string, got time.Duration, err error) {
	if err != nil || in == "" || !strings.ContainsRune("0123456789.", rune(in[0])) || len(in) >= maxDeepkitDurationLen {
		return
	}
	neg, err := ParseDuration("-" + in)
	if err != nil || neg != -got {
		t.Fatalf("ParseDuration(%q) = %v, %v; want %v, the negation of ParseDuration(%q)", "-"+in, neg, err, -got, in)
	}
}
