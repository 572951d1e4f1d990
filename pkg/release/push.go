package release

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// TokenUser is the basic-auth user name sent with a token over HTTPS. GitHub,
// GitLab and Gitea accept any user name beside a token; GitHub documents this one.
const TokenUser = "x-access-token"

// Auth holds the credentials for pushing. The zero value pushes without any
// (file remotes, or ssh through the agent at SSH_AUTH_SOCK).
type Auth struct {
	// Token is sent as the basic-auth password (user TokenUser) to an https
	// remote. It is never sent over plain http.
	Token string
	// SSHKeyFile is a private key file for ssh remotes; empty uses the ssh
	// agent at SSH_AUTH_SOCK.
	SSHKeyFile string
	// CABundle holds extra PEM certificates trusted for https remotes.
	CABundle []byte
}

// Remote is where release branches are pushed, with the credentials to use.
type Remote struct {
	remote *git.Remote
	shown  string // the URL without any password
	auth   transport.AuthMethod
	ca     []byte
}

// Remote resolves remote, the name of a configured remote or a URL or path,
// and the credentials for it, without talking to it: what cannot work is an
// outcome.Invalid error.
func (r *Repository) Remote(remote string, auth Auth) (*Remote, error) {
	rc, err := r.remoteConfig(remote)
	if err != nil {
		return nil, err
	}
	shown := RedactURL(rc.URLs[0])
	ep, err := transport.NewEndpoint(rc.URLs[0])
	if err != nil {
		return nil, outcome.Invalidf("reading the URL of remote %q (%s): %w", remote, shown, err)
	}
	method, err := authMethod(ep, auth)
	if err != nil {
		return nil, err
	}
	if ep.Protocol == "file" {
		if _, err := (fileLoader{}).Load(ep); err != nil {
			return nil, outcome.Invalidf("remote %q: no git repository at %s", remote, shown)
		}
		useInProcessFileTransport()
	}
	return &Remote{remote: git.NewRemote(r.repo.Storer, rc), shown: shown, auth: method, ca: auth.CABundle}, nil
}

// Push makes the remote's branch name point at the local branch name, which
// is at commit. It reports whether the remote changed: false when the branch
// already was there at commit. A remote branch at another commit is an
// outcome.Negative error and is left alone; failing to talk to the remote is
// outcome.External.
func (rm *Remote) Push(ctx context.Context, name string, commit plumbing.Hash) (bool, error) {
	ref := plumbing.NewBranchReferenceName(name)
	advertised, err := rm.remote.ListContext(ctx, &git.ListOptions{Auth: rm.auth, CABundle: rm.ca})
	if err != nil && !errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return false, remoteError(fmt.Sprintf("listing branches of %s", rm.shown), err)
	}
	for _, a := range advertised {
		if a.Name() != ref {
			continue
		}
		if a.Hash() == commit {
			return false, nil
		}
		return false, outcome.Negativef("release branch %s already exists on %s at commit %s, not at %s",
			name, rm.shown, short(a.Hash()), short(commit))
	}

	err = rm.remote.PushContext(ctx, &git.PushOptions{
		RemoteName: rm.remote.Config().Name,
		RefSpecs:   []config.RefSpec{config.RefSpec(ref + ":" + ref)},
		Auth:       rm.auth,
		CABundle:   rm.ca,
	})
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		return false, nil
	}
	if err != nil {
		return false, remoteError(fmt.Sprintf("pushing %s to %s", name, rm.shown), err)
	}
	return true, nil
}

// remoteConfig finds the configured remote named remote, or makes an
// anonymous one when remote is a URL or path. A relative path is taken from
// the work tree's top directory, as git does.
func (r *Repository) remoteConfig(remote string) (*config.RemoteConfig, error) {
	var rc config.RemoteConfig
	if found, err := r.repo.Remote(remote); err == nil {
		rc = *found.Config()
	} else if strings.ContainsAny(remote, "/:\\") || remote == "." || remote == ".." {
		rc = config.RemoteConfig{Name: "anonymous", URLs: []string{remote}}
	} else {
		return nil, outcome.Invalidf("remote %q is not configured in the repository and is not a URL or path", remote)
	}
	if len(rc.URLs) == 0 {
		return nil, outcome.Invalidf("remote %q has no URL", remote)
	}
	u := rc.URLs[0]
	if ep, err := transport.NewEndpoint(u); err == nil && ep.Protocol == "file" && !strings.HasPrefix(u, "file://") && !filepath.IsAbs(u) {
		u = filepath.Join(r.dir, u)
	}
	rc.URLs = []string{u}
	return &rc, nil
}

func authMethod(ep *transport.Endpoint, auth Auth) (transport.AuthMethod, error) {
	switch ep.Protocol {
	case "https":
		if auth.Token == "" {
			return nil, nil
		}
		return &githttp.BasicAuth{Username: TokenUser, Password: auth.Token}, nil
	case "http":
		if auth.Token != "" {
			return nil, outcome.Invalidf("refusing to send the token over plain http to %s; use an https remote", ep.Host)
		}
		return nil, nil
	case "ssh":
		if auth.SSHKeyFile == "" {
			return nil, nil // go-git asks the agent at SSH_AUTH_SOCK
		}
		user := ep.User
		if user == "" {
			user = "git"
		}
		keys, err := gitssh.NewPublicKeysFromFile(user, auth.SSHKeyFile, "")
		if err != nil {
			return nil, outcome.Invalidf("reading ssh key file %q: %w", auth.SSHKeyFile, err)
		}
		return keys, nil
	}
	return nil, nil
}

// remoteError classifies a failure talking to a remote: cancellation stays
// as it is, everything else is External.
func remoteError(doing string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", doing, err)
	}
	return outcome.Externalf("%s: %w", doing, err)
}

// RedactURL hides the password of a URL, so a token written into a remote's
// URL never reaches a message.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

var fileTransport sync.Once

// useInProcessFileTransport serves file remotes with go-git's own
// receive-pack and upload-pack instead of running git-receive-pack, so that
// pushing to a path needs no git binary. go-git keeps its transports in a
// process-wide table; this replaces the "file" entry once.
func useInProcessFileTransport() {
	fileTransport.Do(func() { client.InstallProtocol("file", server.NewServer(fileLoader{})) })
}

// fileLoader opens the repository at an endpoint's path: a bare repository,
// or the .git directory of a work tree.
type fileLoader struct{}

func (fileLoader) Load(ep *transport.Endpoint) (storer.Storer, error) {
	dir := ep.Path
	if fi, err := os.Stat(filepath.Join(dir, git.GitDirName)); err == nil && fi.IsDir() {
		dir = filepath.Join(dir, git.GitDirName)
	}
	if _, err := os.Stat(filepath.Join(dir, "config")); err != nil {
		return nil, transport.ErrRepositoryNotFound
	}
	return filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRUDefault()), nil
}

func short(h plumbing.Hash) string { return h.String()[:12] }
