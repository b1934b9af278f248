package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Encodings of a secret's value in its JSON (the "encoding" field). JSON
// strings are UTF-8, and encoding/json replaces the bytes of a value that
// is not (a binary key, a keystore) with U+FFFD: such a value travels as
// base64 instead, so every value goes through the REST API, `secrets get
// --json` and the store's own records exactly.
const (
	// EncodingUTF8 is a value that is its own text (also when the field
	// is absent or empty: what text values always were).
	EncodingUTF8 = "utf-8"
	// EncodingBase64 is a value carried as standard base64 (RFC 4648,
	// padded).
	EncodingBase64 = "base64"
)

// secretFields is Secret without its JSON methods.
type secretFields Secret

// secretJSON is a Secret's JSON: its fields plus the value's encoding.
type secretJSON struct {
	secretFields
	Encoding string `json:"encoding,omitempty"`
}

// MarshalJSON writes the value as it is when it is valid UTF-8, and as
// base64 with "encoding": "base64" when it is not.
func (s Secret) MarshalJSON() ([]byte, error) {
	out := secretJSON{secretFields: secretFields(s)}
	if !utf8.ValidString(s.Value) {
		out.Value = base64.StdEncoding.EncodeToString([]byte(s.Value))
		out.Encoding = EncodingBase64
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes: a value in base64 is
// decoded; a malformed one, or an unknown encoding, is ErrInvalid (the
// error names the key, never the value).
func (s *Secret) UnmarshalJSON(b []byte) error {
	var in secretJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	switch in.Encoding {
	case "", EncodingUTF8:
	case EncodingBase64:
		v, err := base64.StdEncoding.Strict().DecodeString(in.Value)
		if err != nil {
			return fmt.Errorf("secret %q: the value is not valid base64 (standard alphabet, padded) though its encoding is %q: %v: %w",
				in.Key, EncodingBase64, err, ErrInvalid)
		}
		in.Value = string(v)
	default:
		return fmt.Errorf("secret %q: encoding %q is not %q (text) or %q: %w", in.Key, in.Encoding, EncodingUTF8, EncodingBase64, ErrInvalid)
	}
	*s = Secret(in.secretFields)
	return nil
}
