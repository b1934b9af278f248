package ssh

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// authMethods builds the authentication methods of t. The returned closer
// releases the agent connection; call it once the handshake is over.
func (t Target) authMethods() ([]gossh.AuthMethod, io.Closer, error) {
	var signers []gossh.Signer
	if t.KeyFile != "" {
		b, err := os.ReadFile(t.KeyFile)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: reading private key: %w", ErrAuth, err)
		}
		s, err := parseKey(b, t.Passphrase, t.KeyFile)
		if err != nil {
			return nil, nil, err
		}
		signers = append(signers, s)
	}
	if len(t.KeyPEM) > 0 {
		s, err := parseKey(t.KeyPEM, t.Passphrase, "the given private key")
		if err != nil {
			return nil, nil, err
		}
		signers = append(signers, s)
	}
	var methods []gossh.AuthMethod
	var closer io.Closer = noClose{}
	if len(signers) > 0 || t.UseAgent {
		var agentSigners func() ([]gossh.Signer, error)
		if t.UseAgent {
			sock := t.agentSocket()
			if sock == "" {
				return nil, nil, fmt.Errorf("%w: ssh-agent requested but SSH_AUTH_SOCK is not set", ErrAuth)
			}
			c, err := net.Dial("unix", sock)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: connecting to ssh-agent at %s: %w", ErrAuth, sock, err)
			}
			closer = c
			agentSigners = agent.NewClient(c).Signers
		}
		methods = append(methods, gossh.PublicKeysCallback(func() ([]gossh.Signer, error) {
			all := append([]gossh.Signer(nil), signers...)
			if agentSigners != nil {
				more, err := agentSigners()
				if err != nil {
					return nil, fmt.Errorf("listing ssh-agent keys: %w", err)
				}
				all = append(all, more...)
			}
			return all, nil
		}))
	}
	if t.Password != "" {
		pw := t.Password
		methods = append(methods,
			gossh.Password(pw),
			gossh.KeyboardInteractive(func(_, _ string, questions []string, echos []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range questions {
					if !echos[i] {
						answers[i] = pw
					}
				}
				return answers, nil
			}))
	}
	return methods, closer, nil
}

// parseKey parses a private key, decrypting it with passphrase when needed.
// what names the key in errors (never its contents).
func parseKey(b []byte, passphrase, what string) (gossh.Signer, error) {
	s, err := gossh.ParsePrivateKey(b)
	var missing *gossh.PassphraseMissingError
	if errors.As(err, &missing) {
		if passphrase == "" {
			return nil, fmt.Errorf("%w: private key %s is encrypted: set a passphrase", ErrAuth, what)
		}
		s, err = gossh.ParsePrivateKeyWithPassphrase(b, []byte(passphrase))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: cannot use private key %s: %w", ErrAuth, what, err)
	}
	return s, nil
}

// noClose is an io.Closer that does nothing.
type noClose struct{}

func (noClose) Close() error { return nil }
