// Package plan defines the release plan, aviary's immutable hand-over
// between steps, and writes and reads it as an OCI 1.1 artifact. The format
// is documented in docs/plan-format.md.
//
// Writing (bundle-plan): Pack builds the artifact in memory from a Plan and
// the services' manifest files — the plan document in canonical JSON
// (Encode) and a deterministic tar.gz of the manifests (WriteBundle) — so
// that equal inputs give a byte-identical artifact and digest. Publish
// pushes it to a registry repository or an OCI layout and tags it with the
// version, refusing (outcome.Negative, *TagConflictError) to move a version
// tag that names another plan, and pushing nothing when it names this one.
// Pack reads its artifact back with the readers' own check (default Limits,
// Plan.Check): a plan that is published can be read by every later step.
//
// Reading (every later step): Read takes a reference by digest — a tag only
// with ReadOptions.AllowTag, resolved once — checks every blob's size
// against Limits before fetching and its digest while reading, decodes and
// checks the plan document — names are DNS-1123 labels, every string a
// writer might print is checked (Plan.Check) — and unpacks the manifests safely into memory
// (ReadBundle). The result, Loaded, offers the manifests per service as
// files, YAML documents or unstructured Kubernetes objects.
//
// Errors are classified: bad references, tags without AllowTag, missing or
// malformed plans are outcome.Invalid; registry failures after retries,
// refused credentials and digest mismatches are outcome.External.
package plan
