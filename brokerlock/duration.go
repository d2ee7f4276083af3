package brokerlock

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"
)

// ParseDuration accepts Go durations and the forms Deepkit accepts for lock
// TTLs and timeouts (Deepkit parses them with the ms npm package).
//
// After trimming surrounding white space, the input is either
//
//   - anything time.ParseDuration accepts, with exactly its result:
//     "1h30m", "500ms", "1.5µs", "2h45m0.5s", "-1m", "+3s", "0";
//   - or, as in ms, an optional "-", a decimal number (digits with at most
//     one ".", at least one digit after it), any number of spaces and an
//     optional case-insensitive unit, 100 characters at most: "60s",
//     "10 s", "2 Minutes", "24hours", "1.5h", ".5s", "-1s", "1d", "1w", "1y".
//
// The units are ms (millisecond, milliseconds, msec, msecs), s (sec, secs,
// second, seconds), m (min, mins, minute, minutes), h (hr, hrs, hour,
// hours), d (day, days), w (week, weeks: 7 days) and y (yr, yrs, year,
// years: 365.25 days, as in ms). A number without a unit is milliseconds,
// so "100" is 100ms. "m" is minutes in both grammars, and "1M" is a
// minute too, not a month.
//
// The ms forms are computed exactly and rounded to the nearest nanosecond,
// halves away from zero: "1.5 h" is 90 minutes, "0.001 s" one millisecond.
// Where the grammars overlap time.ParseDuration wins; it gets "1.5h" and
// "0.001s" exact too, but drops what is below a nanosecond:
// "0.0000000015s" is 1ns where "0.0000000015 s" is 2ns.
//
// Anything else, including an empty input and a value outside the range
// of time.Duration (about ±292 years, so "300y" fails), returns an error
// wrapping ErrInvalid that quotes the input.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, invalidDuration(s, "empty")
	}
	d, err := time.ParseDuration(in)
	if err == nil {
		return d, nil
	}
	if goDuration.MatchString(in) {
		// Well-formed, so time.ParseDuration rejected it for its size.
		return 0, invalidDuration(s, durationOutOfRange)
	}
	return parseDeepkitDuration(s, in)
}

// goDuration is time.ParseDuration's grammar, less the special case "0".
var goDuration = regexp.MustCompile(`^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$`)

// durationOutOfRange is the reason given for values time.Duration can't hold.
const durationOutOfRange = "out of range (at most about 292 years either way)"

// maxDeepkitDurationLen is the ms package's input limit.
const maxDeepkitDurationLen = 100

// deepkitDuration is the ms package's grammar. The unit is matched as any
// ASCII letters and looked up in durationUnits, so case folding stays
// ASCII-only as in JavaScript (Go's (?i) would also fold "ſ" to "s").
var deepkitDuration = regexp.MustCompile(`^(-?)(\d*\.?\d+) *([A-Za-z]*)$`)

const (
	durationDay  = 24 * time.Hour
	durationWeek = 7 * durationDay
	durationYear = 365*durationDay + 6*time.Hour // 365.25 days
)

// durationUnits maps the lower-cased ms unit spellings to their length.
// No unit means milliseconds.
var durationUnits = map[string]time.Duration{
	"": time.Millisecond, "ms": time.Millisecond,
	"msec": time.Millisecond, "msecs": time.Millisecond,
	"millisecond": time.Millisecond, "milliseconds": time.Millisecond,
	"s": time.Second, "sec": time.Second, "secs": time.Second,
	"second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute,
	"minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour,
	"hour": time.Hour, "hours": time.Hour,
	"d": durationDay, "day": durationDay, "days": durationDay,
	"w": durationWeek, "week": durationWeek, "weeks": durationWeek,
	"y": durationYear, "yr": durationYear, "yrs": durationYear,
	"year": durationYear, "years": durationYear,
}

// parseDeepkitDuration parses in, the trimmed s, in the ms grammar.
func parseDeepkitDuration(s, in string) (time.Duration, error) {
	if len(in) > maxDeepkitDurationLen {
		return 0, invalidDuration(s, fmt.Sprintf("longer than %d characters", maxDeepkitDurationLen))
	}
	m := deepkitDuration.FindStringSubmatch(in)
	if m == nil {
		return 0, invalidDuration(s, `want a Go duration like "1h30m" or a number and a unit like "10 s", "1.5h" or "2 minutes"`)
	}
	unit, ok := durationUnits[strings.ToLower(m[3])]
	if !ok {
		return 0, invalidDuration(s, fmt.Sprintf("unknown unit %q", m[3]))
	}
	return scaleDecimal(s, m[1] == "-", m[2], unit)
}

// scaleDecimal returns the decimal number times unit, negated if negative,
// rounded to the nearest nanosecond.
func scaleDecimal(s string, negative bool, number string, unit time.Duration) (time.Duration, error) {
	whole, frac, _ := strings.Cut(number, ".")
	num, _ := new(big.Int).SetString(whole+frac, 10) // digits only: the regexp saw to it
	num.Mul(num, big.NewInt(int64(unit)))
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
	ns := roundedQuotient(num, den)
	if negative {
		ns.Neg(ns)
	}
	if !ns.IsInt64() {
		return 0, invalidDuration(s, durationOutOfRange)
	}
	return time.Duration(ns.Int64()), nil
}

// roundedQuotient returns num/den rounded to the nearest integer, halves
// up. Both must be non-negative.
func roundedQuotient(num, den *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Lsh(r, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}

// invalidDuration returns an error wrapping ErrInvalid that names s.
func invalidDuration(s, reason string) error {
	return fmt.Errorf("%w: duration %q: %s", ErrInvalid, s, reason)
}
