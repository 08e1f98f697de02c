package main

import (
	"encoding/json"
	"fmt"
	"os"
)

// printJSON writes v to stdout as one JSON line.
func printJSON(v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(os.Stdout, "%s\n", line)
	return err
}
