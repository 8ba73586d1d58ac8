package extract

import "errors"

// ErrWrongPassword marks an encrypted file that Options.Password does not
// open. It comes inside an *Error of Kind ErrEncrypted, so both
// errors.Is(err, ErrWrongPassword) and errors.Is(err, ErrEncrypted) hold.
var ErrWrongPassword = errors.New("wrong password")

// wrongPassword is the failure for an encrypted file (what, e.g.
// "password-protected PDF") that the given password does not open. The
// password itself never appears in the error.
func wrongPassword(what string) *Error {
	return &Error{Kind: ErrEncrypted, Reason: what + ": the password is not correct", Err: ErrWrongPassword}
}

// needPassword is the failure for an encrypted file opened without a
// password, or with a wrong one when password is not empty.
func needPassword(what, how, password string) *Error {
	if how != "" {
		what += " (" + how + ")"
	}
	if password != "" {
		return wrongPassword(what)
	}
	return &Error{Kind: ErrEncrypted, Reason: what}
}
