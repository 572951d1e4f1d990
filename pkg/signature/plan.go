package signature

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/policy"
	"github.com/aviary-cd/aviary/pkg/registry"
)

// DefaultConcurrency is how many artifacts VerifyPlan checks at once.
const DefaultConcurrency = 16

// TrustOptions say what a plan is verified against and how registries are
// reached.
type TrustOptions struct {
	Material
	// Policy decides what is required; nil is policy.Default().
	Policy *policy.Policy
	// Client reaches the registries; nil builds one from Registry.
	Client   *registry.Client
	Registry registry.Options
	// Concurrency bounds the artifacts checked at once; 0 is
	// DefaultConcurrency.
	Concurrency int
	// Now dates the report; nil is time.Now.
	Now func() time.Time
}

// VerifyPlan checks a loaded plan: the plan's own signature, and for every
// service that its image is referenced by digest, comes from an allowed
// registry, exists, is signed and has the required attestations, as the
// policy says.
//
// The Report lists every check. The error is nil only when all passed;
// otherwise it is outcome.Negative listing every failure by service, or
// outcome.External when a registry failed (after retries) and nothing was
// refused, or outcome.Invalid for unusable trust material.
func VerifyPlan(ctx context.Context, loaded *plan.Loaded, opts TrustOptions) (Report, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	pol := opts.Policy
	if pol == nil {
		pol = policy.Default()
	}
	rep := Report{Plan: loaded.Ref, VerifiedAt: now().UTC(), Policy: pol}
	if loaded.Plan != nil {
		rep.Version = loaded.Plan.Version
	}

	jobs := planJobs(loaded, pol)
	trust, err := trustFor(jobs, opts.Material)
	if err != nil {
		return rep, err
	}
	if trust != nil {
		rep.Trust = trust.Summary()
	}
	client := opts.Client
	if client == nil {
		client = registry.New(opts.Registry)
	}
	results, err := runJobs(ctx, NewVerifier(trust, client), jobs, opts.Concurrency)
	if err != nil {
		return rep, err
	}
	transport := rep.addChecks(jobs, results)
	var names []string
	if loaded.Plan != nil {
		for _, s := range loaded.Plan.Services {
			names = append(names, s.Name)
		}
	}
	for _, s := range pol.UnusedExceptions(names) {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the policy has an exception for service %q, which the plan does not have", s))
	}

	refused := rep.failures(false)
	rep.Verified = len(refused) == 0 && len(transport) == 0
	switch {
	case len(refused) > 0:
		return rep, outcome.Negative(&PlanError{Plan: loaded.Ref, Failures: refused, Transport: len(transport)})
	case len(transport) > 0:
		return rep, outcome.External(fmt.Errorf("verifying plan %s: %w", loaded.Ref, errors.Join(transport...)))
	}
	return rep, nil
}

// trustFor parses the trust material when a job needs it or some was
// given; nil when neither.
func trustFor(jobs []job, m Material) (*Trust, error) {
	needTrust := false
	for _, j := range jobs {
		needTrust = needTrust || j.req.Signature || len(j.req.Attestations) > 0
	}
	if !needTrust && m.IsZero() {
		return nil, nil
	}
	return NewTrust(m)
}

// verified is the outcome of one request.
type verified struct {
	res Result
	err error
}

// runJobs verifies every job that needs the registry, once per distinct
// request (services often share an image), limit at a time (0 is
// DefaultConcurrency). The plan goes first: a plan that is not what its
// signer signed names hosts nobody vouched for, so then none of its images
// is contacted (the jobs are marked unchecked). Only ctx ending is an error.
func runJobs(ctx context.Context, v *Verifier, jobs []job, limit int) (map[string]*verified, error) {
	results := map[string]*verified{}
	if first := jobs[0]; first.req.Signature {
		res, err := v.Verify(ctx, first.req)
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		results[first.req.key()] = &verified{res, err}
		if err != nil || len(res.Failures) > 0 {
			for i := range jobs[1:] {
				jobs[i+1].unchecked = true
			}
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	if limit <= 0 {
		limit = DefaultConcurrency
	}
	g.SetLimit(limit)
	for _, j := range jobs {
		if j.refusal != nil || j.skip || j.unchecked {
			continue
		}
		key := j.req.key()
		if _, dup := results[key]; dup {
			continue
		}
		// Each goroutine fills in its own outcome; the map is only
		// touched here.
		o := &verified{}
		results[key] = o
		req := j.req
		g.Go(func() error {
			res, err := v.Verify(gctx, req)
			if err != nil && gctx.Err() != nil && ctx.Err() != nil {
				return ctx.Err()
			}
			o.res, o.err = res, err
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return results, nil
}

// addChecks adds the check of every job to the report and returns the
// registry failures among them.
func (rep *Report) addChecks(jobs []job, results map[string]*verified) []error {
	var transport []error
	for _, j := range jobs {
		c := Check{Service: j.service, Ref: j.req.Ref, Exception: j.exception}
		switch {
		case j.refusal != nil:
			c.Failures = append(c.Failures, failureOf(j.refusal))
		case j.skip:
		case j.unchecked:
			c.Verdict = VerdictNotChecked
		default:
			o := results[j.req.key()]
			c.Digest, c.Signer, c.Attestations = o.res.Digest, o.res.Signer, o.res.Attestations
			for _, f := range o.res.Failures {
				c.Failures = append(c.Failures, Failure{Reason: f.Reason, Message: f.Detail})
			}
			if o.err != nil {
				transport = append(transport, fmt.Errorf("%s: %w", j.label(), o.err))
				c.Failures = append(c.Failures, Failure{Reason: ReasonUnknown, Message: "could not be checked: " + o.err.Error(), Transport: true})
			}
		}
		switch {
		case len(c.Failures) > 0:
			c.Verdict = VerdictFail
		case c.Verdict == "":
			c.Verdict = VerdictPass
		}
		if j.service == "" {
			rep.PlanCheck = c
		} else {
			rep.Services = append(rep.Services, c)
		}
	}
	return transport
}

// job is one artifact of a plan to check.
type job struct {
	service   string // "" for the plan itself
	req       Request
	exception string
	// refusal is decided without the registry (tag, registry not allowed).
	refusal error
	// skip: nothing is required of the artifact beyond the plan listing it.
	skip bool
	// unchecked: not contacted because the plan's own signature failed.
	unchecked bool
}

func (j job) label() string {
	if j.service == "" {
		return "plan"
	}
	return "service " + j.service
}

func (r Request) key() string {
	return fmt.Sprintf("%s|%t|%s", r.Ref, r.Signature, strings.Join(r.Attestations, ","))
}

// planJobs decides, from the policy alone, what to check of each artifact.
func planJobs(loaded *plan.Loaded, pol *policy.Policy) []job {
	jobs := []job{{req: Request{Ref: loaded.Ref, Signature: pol.PlanSignatureRequired()}}}
	if loaded.Plan == nil {
		return jobs
	}
	for _, s := range loaded.Plan.Services {
		req := pol.For(s.Name)
		j := job{service: s.Name, req: Request{Ref: s.Image, Signature: req.Signature, Attestations: req.Attestations}}
		if req.Exception != nil {
			j.exception = req.Exception.Reason
		}
		ref, err := registry.ParseReference(s.Image)
		switch {
		case err != nil || ref.IsLayout():
			j.refusal = refuse(TagNotDigest, s.Image, "not a registry image reference")
		case ref.Digest == "":
			j.refusal = refuse(TagNotDigest, s.Image, "referenced by tag, not by digest: a tag can be moved to other content")
		case !policy.RegistryAllowed(req.AllowedRegistries, ref.Repo()):
			j.refusal = refuse(RegistryNotAllowed, s.Image, "registry %s is not allowed by the policy (allowed: %s)",
				ref.Repo(), strings.Join(req.AllowedRegistries, ", "))
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// PlanError lists every failure of a plan's verification.
type PlanError struct {
	Plan     string
	Failures []Failure
	// Transport counts checks that could not be made for registry failures.
	Transport int
}

func (e *PlanError) Error() string {
	var b strings.Builder
	n := len(e.Failures)
	fmt.Fprintf(&b, "plan %s does not verify: %d problem", e.Plan, n)
	if n != 1 {
		b.WriteString("s")
	}
	for _, f := range e.Failures {
		b.WriteString("\n  ")
		b.WriteString(f.String())
	}
	if e.Transport > 0 {
		fmt.Fprintf(&b, "\n  (and %d check(s) that a registry failure prevented)", e.Transport)
	}
	return b.String()
}

// Verdicts.
const (
	VerdictPass = "pass"
	VerdictFail = "fail"
	// VerdictNotChecked: the artifact was not contacted because the plan's
	// own signature did not verify.
	VerdictNotChecked = "not-checked"
)

// Check is the verdict on one artifact of a plan.
type Check struct {
	// Service is empty for the plan itself.
	Service      string        `json:"service,omitempty"`
	Ref          string        `json:"ref"`
	Digest       string        `json:"digest,omitempty"`
	Verdict      string        `json:"verdict"`
	Signer       *Signer       `json:"signer,omitempty"`
	Attestations []Attestation `json:"attestations,omitempty"`
	// Exception is the reason of the policy exception applied, if any.
	Exception string    `json:"exception,omitempty"`
	Failures  []Failure `json:"failures,omitempty"`
}

// Failure is one refusal.
type Failure struct {
	// Service is empty for the plan itself (set in Report.Failures).
	Service string `json:"service,omitempty"`
	Ref     string `json:"ref,omitempty"`
	Reason  Reason `json:"reason"`
	Message string `json:"message"`
	// Transport is true when a registry failure prevented the check.
	Transport bool `json:"transport,omitempty"`
}

func (f Failure) String() string {
	who := "plan"
	if f.Service != "" {
		who = "service " + f.Service
	}
	return fmt.Sprintf("%s (%s): %s", who, f.Ref, f.Message)
}

func failureOf(err error) Failure {
	if ve, ok := AsVerificationError(err); ok {
		return Failure{Reason: ve.Reason, Message: ve.Detail}
	}
	return Failure{Message: err.Error()}
}

// Report is the outcome of verifying a plan, written as JSON for auditors.
type Report struct {
	Plan       string         `json:"plan"`
	Version    string         `json:"version,omitempty"`
	VerifiedAt time.Time      `json:"verifiedAt"`
	Verified   bool           `json:"verified"`
	Trust      Summary        `json:"trust"`
	Policy     *policy.Policy `json:"policy"`
	PlanCheck  Check          `json:"planCheck"`
	Services   []Check        `json:"services"`
	Warnings   []string       `json:"warnings,omitempty"`
}

// Failures lists every failure of the report, the plan's first, then by
// service in plan order.
func (r Report) Failures() []Failure { return r.failures(true) }

func (r Report) failures(withTransport bool) []Failure {
	var out []Failure
	add := func(c Check) {
		for _, f := range c.Failures {
			if f.Transport && !withTransport {
				continue
			}
			f.Service, f.Ref = c.Service, c.Ref
			out = append(out, f)
		}
	}
	add(r.PlanCheck)
	for _, c := range r.Services {
		add(c)
	}
	return out
}
