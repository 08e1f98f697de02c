// Command ottla-go-peer is ottla's franz-go (kgo) reference-client peer: the subcommands and
// output of tests/peers/README.md, over github.com/twmb/franz-go.
//
//	ottla-go-peer produce      --bootstrap H:P --topic T --count N [--start I] [--codec C]
//	                           [--idempotent true|false] [--partitions-explicit P]
//	                           [--transactions PATTERN --transactional-id ID]
//	ottla-go-peer consume      --bootstrap H:P --topic T --count N
//	                           [--isolation read_committed|read_uncommitted] [--timeout-ms M]
//	ottla-go-peer partition    --partitions P --keys N
//	ottla-go-peer perf-produce --bootstrap H:P --topic T --records N --record-size S
//	                           --compression C --acks A --linger-ms L --idempotence true|false
//	                           [--partitions-hint P]
//	ottla-go-peer perf-consume --bootstrap H:P --topic T --records N
//	ottla-go-peer create-topic --bootstrap H:P --topic T --partitions P
//	ottla-go-peer group-member --bootstrap H:P --topic T --group G [--assignor A]
//
// Every subcommand that talks to a broker takes -X key=value (repeatable) for client.id and
// the security properties listed in properties.go. Results go to stdout as JSON lines; errors
// go to stderr with exit status 1 (2 for a usage error).
package main

import (
	"errors"
	"fmt"
	"os"
)

// subcommands maps each subcommand to the function that runs it with the remaining arguments.
var subcommands = map[string]func(args []string) error{
	"produce":      runProduce,
	"consume":      runConsume,
	"partition":    runPartition,
	"perf-produce": runPerfProduce,
	"perf-consume": runPerfConsume,
	"create-topic": runCreateTopic,
	"group-member": runGroupMember,
}

const usage = "usage: ottla-go-peer produce|consume|partition|perf-produce|perf-consume|create-topic|group-member [flags] (see tests/peers/README.md)"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	run, ok := subcommands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown subcommand %q\n%s\n", os.Args[1], usage)
		os.Exit(2)
	}
	if err := run(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "ottla-go-peer %s: %v\n", os.Args[1], err)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
