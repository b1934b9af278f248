package ssh

import (
	"crypto/rand"
	"crypto/rsa"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"
)

func itoa(i int) string { return strconv.Itoa(i) }

func rsaPublicKey(t testing.TB) gossh.PublicKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	pub, err := gossh.NewPublicKey(&k.PublicKey)
	require.NoError(t, err)
	return pub
}
