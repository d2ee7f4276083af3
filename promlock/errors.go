package promlock

import "errors"

// ErrInvalid: Wrap got a nil adapter or registerer, or a bad option. The
// wrapping message names the argument and its value. Match it with
// errors.Is.
var ErrInvalid = errors.New("promlock: invalid argument")
