package signature

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/policy"
	"github.com/aviary-cd/aviary/pkg/signature/trustinput"
)

const (
	pemBegin     = "-----BEGIN"
	maxTrustFile = 4 << 20
)

// TrustInputs are the step inputs of the trust material (see package
// trustinput, which declares them without linking this package).
var TrustInputs = trustinput.Inputs

// Inputs is how a step's inputs are read (step.Session has these methods).
type Inputs interface {
	String(name string) string
	Bool(name string) bool
}

// Enabled reports whether any trust material or policy was given, that is
// whether a deploying step should verify the plan.
func Enabled(in Inputs) bool {
	return strings.TrimSpace(in.String(trustinput.Key)) != "" || in.String(trustinput.Identity) != "" || in.String(trustinput.IdentityRegexp) != "" ||
		in.String(trustinput.Policy) != ""
}

// FromInputs reads the trust material and policy from a step's TrustInputs
// and parses them (NewTrust), without any network call. The key input is
// PEM text or paths of PEM files. Unreadable files, bad values and unusable
// material are outcome.Invalid naming the input.
func FromInputs(in Inputs) (Material, *policy.Policy, error) {
	m := Material{RequireTlog: in.Bool(trustinput.RequireTlog)}
	if v := in.String(trustinput.Key); strings.Contains(v, pemBegin) {
		m.Keys = append(m.Keys, Key{PEM: []byte(v)})
	} else {
		for _, path := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' }) {
			if path = strings.TrimSpace(path); path == "" {
				continue
			}
			data, err := readSmall(path)
			if err != nil {
				return m, nil, outcome.Invalidf("input %s: reading %s: %w", trustinput.Key, path, err)
			}
			m.Keys = append(m.Keys, Key{Name: filepath.Base(path), PEM: data})
		}
	}
	id := Identity{
		Subject: in.String(trustinput.Identity), SubjectRegexp: in.String(trustinput.IdentityRegexp),
		Issuer: in.String(trustinput.Issuer), IssuerRegexp: in.String(trustinput.IssuerRegexp),
	}
	switch {
	case id != Identity{} && id.Subject == "" && id.SubjectRegexp == "":
		return m, nil, outcome.Invalidf("input %s or %s is required with an OIDC issuer", trustinput.Identity, trustinput.IdentityRegexp)
	case id != Identity{} && id.Issuer == "" && id.IssuerRegexp == "":
		return m, nil, outcome.Invalidf("input %s or %s is required with a certificate identity", trustinput.Issuer, trustinput.IssuerRegexp)
	case id != Identity{}:
		m.Identities = append(m.Identities, id)
	}
	if p := in.String(trustinput.TrustedRoot); p != "" {
		data, err := readSmall(p)
		if err != nil {
			return m, nil, outcome.Invalidf("input %s: reading %s: %w", trustinput.TrustedRoot, p, err)
		}
		m.TrustedRoot = data
	}
	var pol *policy.Policy
	if p := in.String(trustinput.Policy); p != "" {
		var err error
		if pol, err = policy.Read(p); err != nil {
			return m, nil, err
		}
	}
	// Parse the material now, before the step contacts anything: a bad key,
	// root or identity — or none where the plan's signature is required —
	// is answered before any network call.
	if !m.IsZero() || pol == nil || pol.PlanSignatureRequired() {
		if _, err := NewTrust(m); err != nil {
			return m, nil, err
		}
	}
	return m, pol, nil
}

func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTrustFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxTrustFile {
		return nil, fmt.Errorf("more than the %d bytes accepted", maxTrustFile)
	}
	return data, nil
}
