package ml

import (
	"errors"
	"fmt"
	"math"
)

// Error codes, in the style of wtf: a code a transport maps to a status and
// a message that is safe to show to users.
const (
	ECONFLICT       = "conflict"
	EINTERNAL       = "internal"
	EINVALID        = "invalid"
	ENOTFOUND       = "not_found"
	EUNAUTHORIZED   = "unauthorized"
	EFORBIDDEN      = "forbidden"
	ETOOLARGE       = "too_large"
	ETOOMANY        = "too_many_requests"
	EUNPROCESSABLE  = "unprocessable"
	EUNSUPPORTEDFMT = "unsupported_media_type"
)

// Error is an application error with a code and a user-facing message.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("freshet error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error or *InputError in err's
// chain, EINTERNAL for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return EUNPROCESSABLE
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err; internal errors get
// a generic message so nothing internal leaks to users.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return ie.Error()
	}
	return "Internal error."
}

// Finite is x for JSON, where NaN and ±Inf have no spelling: nil (null)
// when x is not finite.
func Finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}
