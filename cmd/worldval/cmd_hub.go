package main

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/worldval/worldval/client"
)

// hubCommands returns the risk hub's operator commands (publishing a
// snapshot, reporting each world's freshness).
func hubCommands() []command {
	return []command{hubPublishCommand(), hubStatusCommand()}
}

// hubRefusalError is a request the risk hub answered with an error status:
// exit status 1, with the status, the error code and the message on one
// line.
type hubRefusalError struct {
	api *client.APIError
	// note adds what the error's details say, "" for nothing.
	note string
}

func (e hubRefusalError) Error() string {
	code := e.api.Code
	if code == "" {
		code = http.StatusText(e.api.Status)
	}
	msg := fmt.Sprintf("refused: %d %s: %s", e.api.Status, code, e.api.Message)
	if e.note != "" {
		msg += " (" + e.note + ")"
	}
	return msg
}

func (e hubRefusalError) Unwrap() error { return e.api }

// hubFailure turns an [*client.APIError] into a [hubRefusalError]; other
// errors (the service unreachable, a timeout) are returned as they are. Both
// are exit status 1: unlike the other client commands, the hub commands
// keep status 2 for what they refuse themselves before sending anything.
func hubFailure(err error) error {
	var ae *client.APIError
	if !errors.As(err, &ae) {
		return err
	}
	return hubRefusalError{api: ae}
}
