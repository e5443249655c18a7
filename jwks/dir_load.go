package jwks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Limits of what a key directory read accepts.
const (
	manifestVersion = 1
	maxManifestSize = 1 << 20
	maxKeyFileSize  = 64 << 10 // a 4096-bit RSA key is about 3 KiB
	maxFileNameLen  = 255
	// insecureModes are the permission bits a manifest or key file must not
	// have: any access by others, or write access by the group. Read access
	// by the group is allowed: Kubernetes adds it to Secret volumes of pods
	// with an fsGroup.
	insecureModes fs.FileMode = 0o027
)

// manifest is the JSON document ManifestName holds.
type manifest struct {
	Version int           `json:"version"`
	Keys    []manifestKey `json:"keys"`
}

// manifestKey is one key of a manifest.
type manifestKey struct {
	KID       string     `json:"kid"`
	Algorithm Algorithm  `json:"alg"`
	File      string     `json:"file"`
	State     KeyState   `json:"state"`
	Since     time.Time  `json:"since"`
	RetiresAt *time.Time `json:"retires_at,omitempty"`
}

// parsedKey is a key file already parsed, reused while its bytes and alg
// stay the same, so that polling does not parse every key every time.
type parsedKey struct {
	sum [32]byte
	alg Algorithm
	key *SigningKey
}

// dirState is a valid state read from a key directory.
type dirState struct {
	manifest []byte // the manifest's bytes, to tell whether it changed
	sum      [32]byte
	active   *SigningKey
	pending  []*SigningKey
	retiring []retiree
	listing  []DirKey
	parsed   map[string]parsedKey // by kid
}

// read reads the manifest and every key file it names, and checks them.
// On failure it still returns the manifest bytes it read, if any.
func (d *Dir) read(ctx context.Context) (*dirState, error) {
	st := &dirState{parsed: make(map[string]parsedKey)}
	if err := ctx.Err(); err != nil {
		return st, err
	}
	data, m, err := d.readManifest()
	st.manifest = data
	if err != nil {
		return st, err
	}
	sum := sha256.New()
	sum.Write(data)
	now := d.now()
	for _, e := range m.Keys {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		k, fileSum, err := d.readKey(e)
		if err != nil {
			return st, err
		}
		sum.Write(fileSum[:])
		st.parsed[e.KID] = parsedKey{sum: fileSum, alg: e.Algorithm, key: k}
		entry := DirKey{ID: e.KID, Algorithm: e.Algorithm, State: e.State, Since: e.Since, File: e.File}
		switch e.State {
		case StateActive:
			st.active = k
		case StatePublished:
			st.pending = append(st.pending, k)
		case StateRetiring:
			entry.RetiresAt = *e.RetiresAt
			if now.Before(entry.RetiresAt) { // past it, the key verifies nothing
				st.retiring = append(st.retiring, retiree{key: k, until: entry.RetiresAt})
			}
		}
		st.listing = append(st.listing, entry)
	}
	sum.Sum(st.sum[:0])
	return st, nil
}

// readKey reads and parses the key file of e, or reuses the key parsed from
// the same bytes before. It returns the digest of the file.
func (d *Dir) readKey(e manifestKey) (*SigningKey, [32]byte, error) {
	data, err := readDirFile(filepath.Join(d.path, e.File), maxKeyFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, [32]byte{}, fmt.Errorf("%w: the manifest names key %q, whose file is missing: %w", ErrUnknownKey, e.KID, err)
	}
	if err != nil {
		return nil, [32]byte{}, err
	}
	defer clear(data)
	fileSum := sha256.Sum256(data)
	if p, ok := d.parsed[e.KID]; ok && p.sum == fileSum && p.alg == e.Algorithm {
		return p.key, fileSum, nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fileSum, fmt.Errorf("%w: key file %s is empty", ErrMalformed, e.File)
	}
	k, err := ParsePrivate(data, e.KID, e.Algorithm)
	if err != nil {
		return nil, fileSum, fmt.Errorf("key file %s: %w", e.File, err)
	}
	return k, fileSum, nil
}

// manifestChanged reports whether the manifest on disk differs from the
// one st was read from.
func (d *Dir) manifestChanged(st *dirState) bool {
	data, _, _ := d.readManifest()
	return data != nil && !bytes.Equal(data, st.manifest)
}

// readManifest reads and checks the manifest. It returns the bytes read
// even when they are not a valid manifest.
func (d *Dir) readManifest() ([]byte, *manifest, error) {
	data, err := readDirFile(filepath.Join(d.path, ManifestName), maxManifestSize)
	if err != nil {
		return nil, nil, err
	}
	m, err := parseManifest(data)
	return data, m, err
}

// parseManifest decodes a manifest and checks it: version 1, at least one
// key, unique valid kids and file names, known states, exactly one active
// key, a retire time on retiring keys and on no other.
func parseManifest(data []byte) (*manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, ManifestName, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: %s: data after the JSON object", ErrMalformed, ManifestName)
	}
	if m.Version != manifestVersion {
		return nil, fmt.Errorf("%w: %s: version %d, want %d", ErrMalformed, ManifestName, m.Version, manifestVersion)
	}
	kids, files, active := map[string]bool{}, map[string]bool{}, 0
	for i, e := range m.Keys {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%w: %s: key %d: %s", ErrMalformed, ManifestName, i, fmt.Sprintf(format, args...))
		}
		switch {
		case !ValidKID(e.KID):
			return nil, bad("invalid kid")
		case kids[e.KID]:
			return nil, bad("kid %q listed twice", e.KID)
		case !e.Algorithm.Supported():
			return nil, bad("unsupported alg %q", e.Algorithm)
		case !validFileName(e.File):
			return nil, bad("file must be a plain name in the directory: letters, digits, '.', '_', '-', not starting with '.'")
		case files[e.File]:
			return nil, bad("file %s listed twice", e.File)
		case e.Since.IsZero():
			return nil, bad("no since")
		case e.State == StateRetiring && (e.RetiresAt == nil || e.RetiresAt.IsZero()):
			return nil, bad("retiring without retires_at")
		case e.State != StateRetiring && e.RetiresAt != nil:
			return nil, bad("retires_at on a key that is %s", e.State)
		}
		switch e.State {
		case StateActive:
			active++
		case StatePublished, StateRetiring:
		default:
			return nil, bad("state %q is not active, published or retiring", e.State)
		}
		kids[e.KID], files[e.File] = true, true
	}
	if active != 1 {
		return nil, fmt.Errorf("%w: %s: %d active keys, want exactly 1", ErrMalformed, ManifestName, active)
	}
	return &m, nil
}

// validFileName reports whether name is a plain file name of the
// directory: no separator, no "..", not hidden (temporary files and a
// Kubernetes volume's own entries start with a dot), not the manifest.
func validFileName(name string) bool {
	return name != "" && len(name) <= maxFileNameLen && name[0] != '.' && name != ManifestName &&
		strings.Trim(name, base64URL+".") == ""
}

// readDirFile reads a file of the key directory: a regular file (symbolic
// links are followed, as Kubernetes projects files through them) of at most
// limit bytes, not readable by others nor writable by its group.
func readDirFile(path string, limit int64) ([]byte, error) {
	name := filepath.Base(path)
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("jwks: key directory: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrMalformed, name)
	}
	if perm := info.Mode().Perm(); runtime.GOOS != "windows" && perm&insecureModes != 0 {
		return nil, fmt.Errorf("%w: %s has mode %#o; want 0600, 0400 or 0440", ErrFileMode, name, perm)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("jwks: key directory: %w", err)
	}
	defer f.Close()
	if opened, err := f.Stat(); err != nil || !os.SameFile(info, opened) {
		return nil, fmt.Errorf("%w: %s changed while being read", ErrMalformed, name)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("jwks: key directory: %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		clear(data)
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrMalformed, name, limit)
	}
	return data, nil
}
