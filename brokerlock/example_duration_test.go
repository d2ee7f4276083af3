package brokerlock_test

import (
	"errors"
	"fmt"

	"github.com/brokerlock/brokerlock/brokerlock"
)

func ExampleParseDuration() {
	for _, s := range []string{"1h30m", "500ms", "10 s", "2 minutes", "1.5h", "1d", "1y", "100", "-1s"} {
		d, err := brokerlock.ParseDuration(s)
		fmt.Println(s, "=", d, err)
	}
	_, err := brokerlock.ParseDuration("300y")
	fmt.Println(errors.Is(err, brokerlock.ErrInvalid), err)
	// Output:
	// 1h30m = 1h30m0s <nil>
	// 500ms = 500ms <nil>
	// 10 s = 10s <nil>
	// 2 minutes = 2m0s <nil>
	// 1.5h = 1h30m0s <nil>
	// 1d = 24h0m0s <nil>
	// 1y = 8766h0m0s <nil>
	// 100 = 100ms <nil>
	// -1s = -1s <nil>
	// true brokerlock: invalid argument: duration "300y": out of range (at most about 292 years either way)
}
