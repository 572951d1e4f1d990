// Package release decides a repository's next semantic version and opens its
// release branch. It backs the open-release step.
//
// # Finding the latest release
//
// Every tag named vX.Y.Z or X.Y.Z and every local or remote-tracking branch
// matching the branch pattern (default release/X.Y.Z) names a release. The
// highest version among them is the latest release. Counting branches as well
// as tags means a release that was opened but never tagged still takes its
// number, so two releases never get the same one.
//
// # Deciding the next version
//
// [Next] is a plain function of the latest version, the bump word and the
// commit messages since the latest release:
//
//	major, minor, patch   bump that part; from a prerelease, finish it
//	                      when it already carries that change
//	                      (1.3.0-rc.1 + minor → 1.3.0)
//	prerelease            1.3.0-rc.1 → 1.3.0-rc.2; 1.2.3 → 1.2.4-rc.1
//	auto (or empty)       Conventional Commits since the latest release:
//	                      a breaking change ("!" or a BREAKING CHANGE
//	                      footer) → major, feat → minor, fix/perf →
//	                      patch; nothing release-worthy → patch
//
// The first release is 0.1.0 (1.0.0 when the bump is major, 0.1.0-rc.1 when it
// is prerelease). A version may also be given explicitly; it must be strict
// semver, with an optional leading "v".
//
// # Opening the branch
//
// [Open] creates the release branch at the base branch's commit and pushes it
// when asked. It is safe to repeat: when HEAD or the base commit already is
// the tip of a release branch, that release is returned unchanged, and a
// branch that already exists at the right commit is left alone. A version
// already named by a branch or tag at another commit is refused with an
// outcome.Negative error.
//
// All git work goes through go-git; no git binary is needed. Pushing supports
// https with a token (sent as the basic-auth password of user
// x-access-token, never over plain http), ssh (the agent at SSH_AUTH_SOCK or a
// key file; host keys from known_hosts or SSH_KNOWN_HOSTS), and file remotes,
// which are served in-process by go-git's own receive-pack: the first push to
// a file remote replaces go-git's process-wide "file" transport.
//
// Inputs that cannot work are outcome.Invalid; a failure talking to a remote
// is outcome.External.
package release
