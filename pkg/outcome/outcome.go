package outcome

import (
	"errors"
	"fmt"
)

// Kind says how a failure should be reported.
type Kind int

const (
	// KindUnknown is an error nobody classified.
	KindUnknown Kind = iota
	// KindNegative: the step ran and its answer is negative.
	KindNegative
	// KindInvalid: bad input or configuration.
	KindInvalid
	// KindExternal: an external system failed after retries.
	KindExternal
)

func (k Kind) String() string {
	switch k {
	case KindNegative:
		return "negative"
	case KindInvalid:
		return "invalid"
	case KindExternal:
		return "external"
	default:
		return "unknown"
	}
}

// Error carries a Kind alongside the error it classifies.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func wrap(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Err: err}
}

// Negative marks err as a negative outcome (exit 1).
func Negative(err error) error { return wrap(KindNegative, err) }

// Invalid marks err as bad input or configuration (exit 2).
func Invalid(err error) error { return wrap(KindInvalid, err) }

// External marks err as a failure of a system outside aviary (exit 3).
func External(err error) error { return wrap(KindExternal, err) }

// Negativef formats a negative outcome.
func Negativef(format string, args ...any) error { return Negative(fmt.Errorf(format, args...)) }

// Invalidf formats an input or configuration error.
func Invalidf(format string, args ...any) error { return Invalid(fmt.Errorf(format, args...)) }

// Externalf formats an external-system failure.
func Externalf(format string, args ...any) error { return External(fmt.Errorf(format, args...)) }

// KindOf returns the outermost Kind found in err's chain, or KindUnknown.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindUnknown
}
