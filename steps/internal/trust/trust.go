// Package trust turns a step's trust inputs (catalog.TrustInputs) into the
// signature trust material and policy that package signature takes. It
// links no cluster client, so that verify-artifacts can use it.
package trust

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/policy"
	"github.com/aviary-cd/aviary/pkg/signature"
)

const (
	pemBegin     = "-----BEGIN"
	maxTrustFile = 4 << 20
)

// Inputs is how a step's inputs are read; *step.Session has these methods.
type Inputs interface {
	String(name string) string
	Bool(name string) bool
}

// Enabled reports whether any trust material or policy was given, that is
// whether a deploying step should verify the plan.
func Enabled(in Inputs) bool {
	return strings.TrimSpace(in.String(catalog.InputKey)) != "" || in.String(catalog.InputIdentity) != "" ||
		in.String(catalog.InputIdentityRegexp) != "" || in.String(catalog.InputPolicy) != ""
}

// Read reads the trust material and policy from a step's trust inputs and
// parses them (signature.NewTrust), without any network call. The key input
// is PEM text or paths of PEM files. Unreadable files, bad values and
// unusable material are outcome.Invalid naming the input.
func Read(in Inputs) (signature.Material, *policy.Policy, error) {
	m := signature.Material{RequireTlog: in.Bool(catalog.InputRequireTlog)}
	if v := in.String(catalog.InputKey); strings.Contains(v, pemBegin) {
		m.Keys = append(m.Keys, signature.Key{PEM: []byte(v)})
	} else {
		for _, path := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' }) {
			if path = strings.TrimSpace(path); path == "" {
				continue
			}
			data, err := readSmall(path)
			if err != nil {
				return m, nil, outcome.Invalidf("input %s: reading %s: %w", catalog.InputKey, path, err)
			}
			m.Keys = append(m.Keys, signature.Key{Name: filepath.Base(path), PEM: data})
		}
	}
	id := signature.Identity{
		Subject: in.String(catalog.InputIdentity), SubjectRegexp: in.String(catalog.InputIdentityRegexp),
		Issuer: in.String(catalog.InputIssuer), IssuerRegexp: in.String(catalog.InputIssuerRegexp),
	}
	switch {
	case id != signature.Identity{} && id.Subject == "" && id.SubjectRegexp == "":
		return m, nil, outcome.Invalidf("input %s or %s is required with an OIDC issuer", catalog.InputIdentity, catalog.InputIdentityRegexp)
	case id != signature.Identity{} && id.Issuer == "" && id.IssuerRegexp == "":
		return m, nil, outcome.Invalidf("input %s or %s is required with a certificate identity", catalog.InputIssuer, catalog.InputIssuerRegexp)
	case id != signature.Identity{}:
		m.Identities = append(m.Identities, id)
	}
	if p := in.String(catalog.InputTrustedRoot); p != "" {
		data, err := readSmall(p)
		if err != nil {
			return m, nil, outcome.Invalidf("input %s: reading %s: %w", catalog.InputTrustedRoot, p, err)
		}
		m.TrustedRoot = data
	}
	var pol *policy.Policy
	if p := in.String(catalog.InputPolicy); p != "" {
		var err error
		if pol, err = policy.Read(p); err != nil {
			return m, nil, err
		}
	}
	// Parse the material now, before the step contacts anything: a bad key,
	// root or identity — or none where the plan's signature is required —
	// is answered before any network call.
	if !m.IsZero() || pol == nil || pol.PlanSignatureRequired() {
		if _, err := signature.NewTrust(m); err != nil {
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
