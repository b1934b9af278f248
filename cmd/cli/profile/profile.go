package profile

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/gantryhq/gantry/internal/atomicfile"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/gantryhq/gantry/internal/readlimit"
)

// Local is the reserved name of the embedded store.
const Local = "local"

// EnvProfiles overrides the profiles file's path.
const EnvProfiles = "GANTRY_PROFILES"

// maxFileBytes bounds profiles.json before it is read.
const maxFileBytes = 1 << 20

// Profile is one server.
type Profile struct {
	Name string `json:"-"`
	URL  string `json:"url"`
	// TokenFile is the absolute path of the file holding the token.
	TokenFile string `json:"token_file"`
	// CAFile is the absolute path of a PEM bundle that signs the server's
	// certificate ("" : the system's roots).
	CAFile string `json:"ca_file,omitempty"`
}

// File is profiles.json.
type File struct {
	// Current names the profile in use ("" : the embedded store).
	Current  string              `json:"current,omitempty"`
	Profiles map[string]*Profile `json:"profiles"`

	path string
}

// DefaultPath is $GANTRY_PROFILES, else ~/.gantry/profiles.json.
func DefaultPath(getenv func(string) string) (string, error) {
	if p := getenv(EnvProfiles); p != "" {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("profiles location: %w (set %s)", err, EnvProfiles)
	}
	return filepath.Join(home, ".gantry", "profiles.json"), nil
}

// Load reads the profiles file at path; a missing file is an empty one.
func Load(path string) (*File, error) {
	f := &File{Profiles: map[string]*Profile{}, path: path}
	data, err := readlimit.File(path, maxFileBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, ErrBadFile)
	}
	if err := json.Unmarshal(data, f); err != nil {
		return nil, fmt.Errorf("%s: %v (fix or delete the file): %w", path, err, ErrBadFile)
	}
	if f.Profiles == nil {
		f.Profiles = map[string]*Profile{}
	}
	for name, p := range f.Profiles {
		if p == nil {
			return nil, fmt.Errorf("%s: profile %q is null: %w", path, name, ErrBadFile)
		}
		p.Name = name
	}
	if f.Current != "" && f.Profiles[f.Current] == nil {
		return nil, fmt.Errorf("%s: the profile in use, %q, does not exist (gantry profiles use NAME): %w", path, f.Current, ErrBadFile)
	}
	return f, nil
}

// Path is the file's location.
func (f *File) Path() string { return f.path }

// Save writes the file 0600 (its folder 0700) atomically.
func (f *File) Save() error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(f.path, atomicfile.Replace, append(data, '\n'))
}

// Names returns the profiles' names, sorted.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.Profiles))
	for n := range f.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckName refuses empty, reserved and odd names.
func CheckName(name string) error {
	if name == Local {
		return fmt.Errorf("%q names the embedded store: %w", name, ErrBadName)
	}
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%q: letters, digits, '.', '_' and '-', up to 64, starting with a letter or digit: %w", name, ErrBadName)
	}
	return nil
}

// Add stores p (checked: name, URL, token file, CA file) under p.Name;
// ErrExists unless replace.
func (f *File) Add(p *Profile, replace bool) error {
	if err := CheckName(p.Name); err != nil {
		return err
	}
	if _, ok := f.Profiles[p.Name]; ok && !replace {
		return fmt.Errorf("profile %q: %w (delete it first)", p.Name, ErrExists)
	}
	if err := CheckURL(p.URL); err != nil {
		return err
	}
	var err error
	if p.TokenFile, err = filepath.Abs(p.TokenFile); err != nil {
		return err
	}
	if _, err := ReadTokenFile(p.TokenFile); err != nil {
		return err
	}
	if p.CAFile != "" {
		if p.CAFile, err = filepath.Abs(p.CAFile); err != nil {
			return err
		}
		if _, err := ReadCA(p.CAFile); err != nil {
			return err
		}
	}
	f.Profiles[p.Name] = p
	return nil
}

// Use makes name the profile in use (Local: the embedded store).
func (f *File) Use(name string) error {
	if name == Local {
		f.Current = ""
		return nil
	}
	if f.Profiles[name] == nil {
		return f.missing(name)
	}
	f.Current = name
	return nil
}

// Delete removes a profile; deleting the one in use goes back to Local.
func (f *File) Delete(name string) error {
	if f.Profiles[name] == nil {
		return f.missing(name)
	}
	delete(f.Profiles, name)
	if f.Current == name {
		f.Current = ""
	}
	return nil
}

func (f *File) missing(name string) error {
	return fmt.Errorf("profile %q: %w (gantry profiles list)", name, ErrNoProfile)
}
