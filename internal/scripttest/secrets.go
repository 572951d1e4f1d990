package scripttest

import (
	"bytes"
	"encoding/base64"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// withoutMasks drops GitHub's ::add-mask:: commands from a step's stdout:
// they hand the runner the secrets it is to hide, and it never shows them.
func withoutMasks(stdout string) string {
	lines := strings.Split(stdout, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if !strings.HasPrefix(l, "::add-mask::") {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}

// minSecretLine is the shortest line of a secret file checked on its own,
// so that a PEM key's base64 lines count and its dashes and blank lines do
// not.
const minSecretLine = 16

// NoSecret is the nosecret command:
//
//	nosecret [-except FILE]... [-file FILE]... [VALUE...]
//
// fails when a secret shows anywhere a step writes: the last command's
// stdout (but for GitHub's ::add-mask:: commands, which hand the runner what
// to hide) and stderr, and every regular file under $WORK — GitHub outputs and
// step summary, Tekton results, GitLab dotenv, summary files, reports, logs
// a script keeps — except the files named with -except and below
// directories whose name starts with a dot (a script's HOME, git's
// objects). A -file names a file holding a secret (a private key): its
// whole content and each line of 16 bytes or more are secrets, and the file
// itself is not scanned. Each secret is looked for as it is, URL-escaped and
// base64-encoded.
//
// Every script that gives a step a secret ends with nosecret for it.
func NoSecret(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: nosecret [-except FILE]... [-file FILE]... [VALUE...]")
	}
	skip := map[string]bool{}
	var secrets []string
	for len(args) > 0 {
		switch {
		case args[0] == "-except" && len(args) > 1:
			skip[ts.MkAbs(args[1])] = true
			args = args[2:]
		case args[0] == "-file" && len(args) > 1:
			path := ts.MkAbs(args[1])
			skip[path] = true
			data := strings.TrimSpace(ts.ReadFile(path))
			secrets = append(secrets, data)
			for _, line := range strings.Split(data, "\n") {
				if line = strings.TrimSpace(line); len(line) >= minSecretLine {
					secrets = append(secrets, line)
				}
			}
			args = args[2:]
		default:
			secrets = append(secrets, args[0])
			args = args[1:]
		}
	}
	var forms []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		forms = append(forms, s, url.QueryEscape(s), url.PathEscape(s), base64.StdEncoding.EncodeToString([]byte(s)))
	}
	if len(forms) == 0 {
		ts.Fatalf("nosecret: no secret given")
	}
	find := func(where string, data []byte) {
		for _, f := range forms {
			if bytes.Contains(data, []byte(f)) {
				ts.Fatalf("a secret (%d bytes) shows in %s", len(f), where)
			}
		}
	}
	find("stdout", []byte(withoutMasks(ts.ReadFile("stdout"))))
	find("stderr", []byte(ts.ReadFile("stderr")))
	work := ts.Getenv("WORK")
	ts.Check(filepath.WalkDir(work, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != work && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() || skip[path] {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(work, path)
		find(rel, data)
		return nil
	}))
}
