package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// usageError is a bad command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// properties collects the repeatable -X key=value flag in order.
type properties []property

type property struct{ key, value string }

func (p *properties) String() string {
	parts := make([]string, 0, len(*p))
	for _, kv := range *p {
		parts = append(parts, kv.key+"=<set>")
	}
	return strings.Join(parts, ",")
}

func (p *properties) Set(s string) error {
	key, value, ok := strings.Cut(s, "=")
	if !ok || key == "" {
		return fmt.Errorf("-X wants key=value, got %q", s)
	}
	*p = append(*p, property{strings.TrimSpace(key), value})
	return nil
}

// brokerFlags are the flags every subcommand that talks to a broker takes.
type brokerFlags struct {
	bootstrap string
	topic     string
	props     properties
}

// newFlagSet returns a flag set for subcommand name that reports errors instead of exiting,
// with the broker flags registered when broker is non-nil.
func newFlagSet(name string, broker *brokerFlags) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if broker != nil {
		fs.StringVar(&broker.bootstrap, "bootstrap", "", "HOST:PORT[,HOST:PORT…] of the cluster")
		fs.StringVar(&broker.topic, "topic", "", "topic")
		fs.Var(&broker.props, "X", "Kafka property key=value (repeatable)")
	}
	return fs
}

// parseFlags parses args into fs, rejecting positional arguments and checking the broker
// flags are present.
func parseFlags(fs *flag.FlagSet, args []string, broker *brokerFlags) error {
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if broker != nil {
		if broker.bootstrap == "" {
			return usagef("--bootstrap is required")
		}
		if broker.topic == "" {
			return usagef("--topic is required")
		}
	}
	return nil
}

// parseBool accepts exactly "true" or "false" (flags like --idempotent take a value).
func parseBool(name, s string) (bool, error) {
	switch s {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, usagef("--%s wants true or false, got %q", name, s)
}

// positive fails when a numeric flag is missing (zero) or negative.
func positive(name string, v int64) error {
	if v <= 0 {
		return usagef("--%s must be a positive number", name)
	}
	return nil
}
