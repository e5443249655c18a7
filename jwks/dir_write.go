package jwks

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/execauth/execauth/internal/atomicfile"
)

// InitDir makes cfg.Path a key directory whose only key is active, then
// opens it as [OpenDir] does. The directory is created (mode 0700) if it
// does not exist; one that already has a manifest is refused with an error
// matching fs.ErrExist.
func InitDir(ctx context.Context, cfg DirConfig, active *SigningKey) (*Dir, error) {
	d, err := newDir(cfg)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(d.path, 0o700); err != nil {
		return nil, fmt.Errorf("jwks: key directory: %w", err)
	}
	unlock, err := lockWriters(ctx, d.path)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := os.Lstat(filepath.Join(d.path, ManifestName)); !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("jwks: key directory %s already has a %s: %w", d.path, ManifestName, cmp.Or(err, fs.ErrExist))
	}
	m := &manifest{Version: manifestVersion}
	if err := d.addKey(ctx, m, active, StateActive); err != nil {
		return nil, err
	}
	return OpenDir(ctx, cfg)
}

// Publish adds k to the directory as a published key: it verifies and is
// published, but does not sign until [Dir.Activate]. Its file is written
// before the manifest names it. A kid the directory has already fails with
// [ErrInvalidKID]; a key that cannot be written to a file (a KMS key) with
// [ErrNotExportable].
func (d *Dir) Publish(ctx context.Context, k *SigningKey) error {
	m, unlock, err := d.edit(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if err := d.addKey(ctx, m, k, StatePublished); err != nil {
		return err
	}
	return d.reloadLocked(ctx)
}

// Activate makes the published (or retiring) key kid the active key. The
// key active until now retires: it verifies until now + RetireAfter. An
// active kid is left as it is; an unknown one fails with [ErrUnknownKey].
func (d *Dir) Activate(ctx context.Context, kid string) error {
	m, i, unlock, err := d.find(ctx, kid)
	if err != nil {
		return err
	}
	defer unlock()
	if m.Keys[i].State == StateActive {
		return nil
	}
	now := d.now()
	retiresAt := ceilSecond(now.Add(d.retireAfter))
	for j := range m.Keys {
		if m.Keys[j].State == StateActive {
			m.Keys[j].State, m.Keys[j].Since, m.Keys[j].RetiresAt = StateRetiring, floorSecond(now), &retiresAt
		}
	}
	m.Keys[i].State, m.Keys[i].Since, m.Keys[i].RetiresAt = StateActive, floorSecond(now), nil
	if err := d.writeManifest(ctx, m); err != nil {
		return err
	}
	return d.reloadLocked(ctx)
}

// Remove takes the key kid out of the directory: the manifest first, then
// its file. It stops verifying at once here, even if the directory cannot
// be loaded afterwards, and on every other replica at its next reload. The
// active key cannot be removed ([ErrActiveKey]); an unknown kid fails with
// [ErrUnknownKey].
func (d *Dir) Remove(ctx context.Context, kid string) error {
	m, i, unlock, err := d.find(ctx, kid)
	if err != nil {
		return err
	}
	defer unlock()
	if m.Keys[i].State == StateActive {
		return fmt.Errorf("%w: %q signs now; activate another key before removing it", ErrActiveKey, kid)
	}
	file := m.Keys[i].File
	m.Keys = slices.Delete(m.Keys, i, i+1)
	if err := d.writeManifest(ctx, m); err != nil {
		return err
	}
	_ = d.ring.Remove(kid) // fails only if this Dir did not hold it
	rmErr := os.Remove(filepath.Join(d.path, file))
	if errors.Is(rmErr, fs.ErrNotExist) {
		rmErr = nil
	}
	if err := d.reloadLocked(ctx); err != nil {
		return err
	}
	if rmErr != nil {
		return fmt.Errorf("jwks: key %q is out of the manifest, but its file stays: %w", kid, rmErr)
	}
	return nil
}

// addKey writes the file of k, then m with k added in state.
func (d *Dir) addKey(ctx context.Context, m *manifest, k *SigningKey, state KeyState) error {
	switch {
	case k == nil || k.private == nil:
		return fmt.Errorf("%w: no key", ErrUnsupportedKey)
	case k.text:
		// Its file would hold the text, which a directory reads as base64url.
		return fmt.Errorf("%w: a secret given as text is not kept in a key directory", ErrUnsupportedKey)
	}
	if slices.ContainsFunc(m.Keys, func(e manifestKey) bool { return e.KID == k.ID() }) {
		return fmt.Errorf("%w: key %q is in the directory already", ErrInvalidKID, k.ID())
	}
	file := keyFileName(k)
	if slices.ContainsFunc(m.Keys, func(e manifestKey) bool { return e.File == file }) {
		return fmt.Errorf("%w: file %s is taken", ErrInvalidKID, file)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	path := filepath.Join(d.path, file)
	if err := WriteSigningKey(path, k); err != nil {
		return err
	}
	m.Keys = append(m.Keys, manifestKey{KID: k.ID(), Algorithm: k.Algorithm(), File: file, State: state, Since: floorSecond(d.now())})
	if err := d.writeManifest(ctx, m); err != nil {
		_ = os.Remove(path) // not named by any manifest: nothing uses it
		return err
	}
	return nil
}

// writeManifest replaces the manifest with m.
func (d *Dir) writeManifest(ctx context.Context, m *manifest) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("jwks: %s: %w", ManifestName, err)
	}
	return atomicfile.Write(filepath.Join(d.path, ManifestName), append(data, '\n'))
}

// keyFileName names the file of k: its kid when that is a plain file name
// (the default kid, an RFC 7638 thumbprint, always is), else a digest of the
// kid; ".pem" for a PEM key, ".key" for an HMAC secret.
func keyFileName(k *SigningKey) string {
	ext := ".pem"
	if k.public.IsSymmetric() {
		ext = ".key"
	}
	if name := k.ID() + ext; len(name) <= maxFileNameLen && validFileName(name) {
		return name
	}
	sum := sha256.Sum256([]byte(k.ID()))
	return "key-" + hex.EncodeToString(sum[:16]) + ext
}

// floorSecond drops the fraction of a second, for readable times.
func floorSecond(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// ceilSecond rounds up to a whole second: a retire time is never earlier
// than the one computed.
func ceilSecond(t time.Time) time.Time { return floorSecond(t.Add(time.Second - 1)) }

// edit takes d's mutex, then the directory's writer lock, which writers in
// other processes hold while they change it, and reads the manifest from
// disk (another process may have changed it since the last load). unlock
// releases both locks; on an error it holds none.
func (d *Dir) edit(ctx context.Context) (m *manifest, unlock func(), err error) {
	d.mu.Lock()
	release, err := lockWriters(ctx, d.path)
	if err != nil {
		d.mu.Unlock()
		return nil, nil, err
	}
	unlock = func() { release(); d.mu.Unlock() }
	if _, m, err = d.readManifest(); err != nil {
		unlock()
		return nil, nil, err
	}
	return m, unlock, nil
}

// find is edit that also returns the position of kid in the manifest; on
// an error (one matching [ErrUnknownKey] for a kid it does not name) it
// holds no lock.
func (d *Dir) find(ctx context.Context, kid string) (m *manifest, i int, unlock func(), err error) {
	if m, unlock, err = d.edit(ctx); err != nil {
		return nil, -1, nil, err
	}
	if i = slices.IndexFunc(m.Keys, func(e manifestKey) bool { return e.KID == kid }); i < 0 {
		unlock()
		return nil, -1, nil, fmt.Errorf("%w: no key %q in %s", ErrUnknownKey, kid, d.path)
	}
	return m, i, unlock, nil
}
