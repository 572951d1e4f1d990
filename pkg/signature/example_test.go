package signature_test

import (
	"errors"
	"fmt"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/signature"
)

// A refusal is a *VerificationError with a Reason, classified as a negative
// outcome; a registry failure is not a refusal.
func ExampleReasonOf() {
	refused := outcome.Negative(&signature.VerificationError{
		Reason: signature.WrongDigestClaim, Subject: "registry.example/api@sha256:1234",
		Detail: "a valid signature for another digest",
	})
	transport := outcome.External(errors.New("registry.example: connection refused"))
	for _, err := range []error{refused, transport} {
		fmt.Printf("%s, %s: %v\n", signature.ReasonOf(err), outcome.KindOf(err), err)
	}
	// Output:
	// wrong-digest-claim, negative: registry.example/api@sha256:1234: a valid signature for another digest
	// unknown, external: registry.example: connection refused
}
