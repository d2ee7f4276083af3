package fxlock

import "errors"

// ErrInvalidConfig: Module got a Config it cannot use. The wrapping
// message names the field and its value. Match it with errors.Is.
var ErrInvalidConfig = errors.New("fxlock: invalid config")
