package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// outputFlag is -o/--output: text (the default) or json.
type outputFlag struct{ format string }

func (o *outputFlag) register(fs *pflag.FlagSet) {
	fs.StringVarP(&o.format, "output", "o", "text", `output format: "text" or "json"`)
}

// json reports whether JSON was asked for; other values than text and
// json are usage errors.
func (o *outputFlag) json() (bool, error) {
	switch strings.ToLower(o.format) {
	case "text":
		return false, nil
	case "json":
		return true, nil
	}
	return false, usageErrorf(`--output %q: want "text" or "json"`, o.format)
}

// writeJSON writes v as indented JSON and a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return withCode(exitUnavailable, fmt.Errorf("write JSON: %w", err))
	}
	return nil
}

// writeJSONLine writes v as one line of JSON.
func writeJSONLine(w io.Writer, v any) error {
	if err := json.NewEncoder(w).Encode(v); err != nil {
		return withCode(exitUnavailable, fmt.Errorf("write JSON: %w", err))
	}
	return nil
}
