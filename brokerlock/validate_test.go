package brokerlock_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/brokerlock/brokerlock/brokerlock"
)

// Options.Validate refuses what Item would, naming the field; zero fields
// are the defaults. ElectionOptions.Validate likewise.
func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		field string // named in the error; "" when valid
	}{
		{"zero Options", brokerlock.Options{}.Validate(), ""},
		{"TTL below MinTTL", brokerlock.Options{TTL: time.Microsecond}.Validate(), "Options.TTL 1µs"},
		{"TTL above MaxTTL", brokerlock.Options{TTL: brokerlock.MaxTTL + time.Hour}.Validate(), "Options.TTL"},
		{"Timeout above MaxTimeout", brokerlock.Options{Timeout: brokerlock.MaxTimeout + time.Hour}.Validate(), "Options.Timeout"},
		{"Label not UTF-8", brokerlock.Options{Label: "\xff"}.Validate(), "Options.Label"},
		{"zero ElectionOptions", brokerlock.ElectionOptions{}.Validate(), ""},
		{"election TTL below its minimum", brokerlock.ElectionOptions{TTL: time.Millisecond}.Validate(), "ElectionOptions.TTL 1ms"},
	}
	for _, tt := range tests {
		switch {
		case tt.field == "" && tt.err != nil:
			t.Errorf("%s: Validate: got %v, want nil", tt.name, tt.err)
		case tt.field != "" && (!errors.Is(tt.err, brokerlock.ErrInvalid) || !strings.Contains(tt.err.Error(), tt.field)):
			t.Errorf("%s: Validate: got %v, want ErrInvalid naming %q", tt.name, tt.err, tt.field)
		}
	}
}
