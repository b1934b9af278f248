package readlimit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestFileRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	reg := filepath.Join(dir, "file")
	if err := os.WriteFile(reg, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path    string
		wantErr error
		inMsg   string
	}{
		{fifo, ErrNotRegular, "named pipe"},
		{"/dev/zero", ErrNotRegular, "character device"},
		{dir, ErrNotRegular, "directory"},
		{filepath.Join(dir, "missing"), os.ErrNotExist, "missing"},
	}
	for _, tc := range cases {
		done := make(chan error, 1)
		go func() {
			_, err := File(tc.path, 1<<20)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.inMsg) {
				t.Errorf("File(%s) = %v, want %v mentioning %q", tc.path, err, tc.wantErr, tc.inMsg)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("File(%s) blocked", tc.path)
		}
	}
	got, err := File(reg, 5)
	if err != nil || string(got) != "hello" {
		t.Errorf("File(regular) = %q, %v", got, err)
	}
	if _, err := File(reg, 4); !errors.Is(err, ErrTooLarge) {
		t.Errorf("File over the limit = %v, want ErrTooLarge", err)
	}
}

func TestAllRefusesRatherThanTruncates(t *testing.T) {
	if _, err := All(bytes.NewReader(make([]byte, 11)), 10); !errors.Is(err, ErrTooLarge) {
		t.Errorf("11 bytes with a limit of 10: %v, want ErrTooLarge", err)
	}
	got, err := All(bytes.NewReader(make([]byte, 10)), 10)
	if err != nil || len(got) != 10 {
		t.Errorf("10 bytes with a limit of 10: %d bytes, %v", len(got), err)
	}
}
