package catalog

import (
	"github.com/aviary-cd/aviary/pkg/analysis"
	"github.com/aviary-cd/aviary/pkg/signature/trustinput"
	"github.com/aviary-cd/aviary/pkg/step"
)

var (
	namespaceInput = step.Input{Name: "namespace", Description: "Namespace the release runs in; empty takes the plan's topology.", Default: ""}
	timeoutInput   = step.Input{Name: "timeout", Description: "How long to wait for workloads to become ready.", Type: step.Duration, Default: "5m"}
	lockTTLInput   = step.Input{Name: "lock-ttl", Description: "How long a pipeline lock lives without renewal before another pipeline may take it.", Type: step.Duration, Default: "2m"}
	holderInput    = step.Input{Name: "holder", Description: "Name of this pipeline run, recorded in the lock; empty derives it from the CI run."}
	lockWaitInput  = step.Input{Name: "lock-wait", Description: "How long to wait for the lock another pipeline run holds, with a progress line now and then naming the holder; a lock left by a killed run frees itself once unrenewed for its lock-ttl, so a retry started at once takes it over. 0 fails at once.", Type: step.Duration, Default: "3m"}
)

// DeployCanary puts the plan's new versions beside the stable ones.
var DeployCanary = step.Definition{
	Name:        "deploy-canary",
	Description: "Deploy the plan's changed services beside the stable ones and wire Istio routing at a first weight.",
	Inputs: append([]step.Input{
		planInput, kubeconfigInput, contextInput, namespaceInput,
		{Name: "initial-weight", Description: "Share of traffic, in percent (0-100), the canary starts with; unset takes the release config's canary.initialWeight, else 0.", Type: step.Int},
		timeoutInput, lockTTLInput, holderInput, lockWaitInput,
		insecureInput, registryUsernameInput, registryPasswordInput, registryHostInput,
		requestTimeoutInput, stepTimeoutInput,
	}, verifyInputs...),
	Outputs: []step.Output{
		{Name: "changed", Description: "Services deployed as canaries, comma-separated."},
		{Name: "first-release", Description: "Services released for the first time straight to stable, comma-separated."},
		{Name: "weight", Description: "The canary weight now in effect."},
	},
}

// ShiftWeight moves the canary's share of traffic.
var ShiftWeight = step.Definition{
	Name:        "shift-weight",
	Description: "Move traffic to the canary step by step, gated by metric analysis; roll back on failure.",
	Inputs: append([]step.Input{
		planInput, kubeconfigInput, contextInput, namespaceInput,
		{Name: "weight", Description: "Set the canary weight (0-100) in one move.", Type: step.Int},
		{Name: "steps", Description: "Weight schedule to walk, e.g. 5,10,25,50; a re-run resumes at the weight in effect. Without weight and steps, the release config's canary.steps.", Type: step.List},
		{Name: "pause", Description: "Pause between steps of the schedule; unset takes the release config's canary.pause, else 30s.", Type: step.Duration, Default: "30s"},
		lockTTLInput, holderInput, lockWaitInput,
		insecureInput, registryUsernameInput, registryPasswordInput, registryHostInput,
		requestTimeoutInput, stepTimeoutInput,
	}, analysis.Inputs...),
	Outputs: []step.Output{
		{Name: "weight", Description: "The canary weight now in effect."},
	},
}

// Promote makes the canary the stable version.
var Promote = step.Definition{
	Name:        "promote",
	Description: "Send 100% to the new versions, make them stable, keep the previous version passive.",
	Inputs: append([]step.Input{
		planInput, kubeconfigInput, contextInput, namespaceInput,
		{Name: "passive-replicas", Description: "Replicas the previous version keeps for instant rollback.", Type: step.Int, Default: "1"},
		timeoutInput, lockTTLInput, holderInput, lockWaitInput,
		insecureInput, registryUsernameInput, registryPasswordInput, registryHostInput,
		requestTimeoutInput, stepTimeoutInput,
	}, analysis.Inputs...),
	Outputs: []step.Output{
		{Name: "promoted", Description: "Services promoted, comma-separated."},
	},
}

// Rollback sends traffic back to the previous version.
var Rollback = step.Definition{
	Name:        "rollback",
	Description: "Send all traffic back to the stable (or, after promotion, the passive previous) version.",
	Inputs: []step.Input{
		planInput, kubeconfigInput, contextInput, namespaceInput,
		timeoutInput, lockTTLInput, holderInput, lockWaitInput,
		insecureInput, registryUsernameInput, registryPasswordInput, registryHostInput,
		requestTimeoutInput, stepTimeoutInput,
	},
	Outputs: []step.Output{
		{Name: "rolled-back", Description: "Services rolled back, comma-separated."},
	},
}

// RebuildCluster rebuilds a passive cluster or namespace from a plan.
var RebuildCluster = step.Definition{
	Name:        "rebuild-cluster",
	Description: "Rebuild a passive cluster or namespace from a plan and switch roles (blue/green).",
	Inputs: append([]step.Input{
		planInput, kubeconfigInput, contextInput,
		{Name: "namespace", Description: "Passive namespace to rebuild.", Required: true},
		{Name: "switch", Description: "Switch roles once the rebuilt side is ready.", Type: step.Bool, Default: "true"},
		timeoutInput, lockTTLInput, holderInput, lockWaitInput,
		insecureInput, registryUsernameInput, registryPasswordInput, registryHostInput,
		requestTimeoutInput, stepTimeoutInput,
	}, verifyInputs...),
	Outputs: []step.Output{
		{Name: "active", Description: "The namespace now active."},
		{Name: "passive", Description: "The namespace now passive."},
	},
}

// verifyInputs are the trust inputs of verify-artifacts, for the deploying
// steps' inline verification: when any is set, the step verifies the plan
// and every image in it before it touches a cluster, and exits 1 when they
// do not verify.
var verifyInputs = trustinput.Inputs
