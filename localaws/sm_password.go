package localaws

import (
	"crypto/rand"
	"math/big"
	"strings"
)

// GetRandomPassword draws from crypto/rand: credstage takes every password
// from here, so it must be as unpredictable as the real service's.

const (
	smLowercase   = "abcdefghijklmnopqrstuvwxyz"
	smUppercase   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	smDigits      = "0123456789"
	smPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

	smDefaultPasswordLength = 32
	smMaxPasswordLength     = 4096
)

func (sm *secretsManager) getRandomPassword(c *Call) (any, error) {
	in, derr := smDecode[smGetRandomPasswordInput](c)
	if derr != nil {
		return nil, derr
	}
	length := int64(smDefaultPasswordLength)
	if in.PasswordLength != nil {
		length = *in.PasswordLength
		if length < 1 || length > smMaxPasswordLength {
			return nil, smOutOfRange("passwordLength", length, 1, smMaxPasswordLength)
		}
	}
	exclude := ""
	if in.ExcludeCharacters != nil {
		exclude = *in.ExcludeCharacters
		if len(exclude) > smMaxPasswordLength {
			return nil, smTooLong("excludeCharacters", smMaxPasswordLength)
		}
	}
	on := func(b *bool) bool { return b != nil && *b }
	var classes []string
	for _, cl := range []struct {
		chars string
		skip  bool
	}{
		{smLowercase, on(in.ExcludeLowercase)},
		{smUppercase, on(in.ExcludeUppercase)},
		{smDigits, on(in.ExcludeNumbers)},
		{smPunctuation, on(in.ExcludePunctuation)},
		{" ", !on(in.IncludeSpace)},
	} {
		if cl.skip {
			continue
		}
		if kept := smWithout(cl.chars, exclude); kept != "" {
			classes = append(classes, kept)
		}
	}
	if len(classes) == 0 {
		return nil, smInvalidParameter("The password can't be generated because every character type is excluded.")
	}
	requireEach := in.RequireEachIncludedType == nil || *in.RequireEachIncludedType
	password, err := smPassword(int(length), classes, requireEach)
	if err != nil {
		return nil, err
	}
	return smGetRandomPasswordOutput{RandomPassword: password}, nil
}

func smWithout(chars, exclude string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(exclude, r) {
			return -1
		}
		return r
	}, chars)
}

// smPassword draws length characters uniformly from all classes. With
// requireEach, one character of every class except space (AWS does not
// count space as a required type) is drawn first, then the rest, and the
// whole is shuffled so the required ones sit anywhere.
func smPassword(length int, classes []string, requireEach bool) (string, error) {
	all := strings.Join(classes, "")
	out := make([]byte, 0, length)
	if requireEach {
		for _, cl := range classes {
			if cl == " " {
				continue
			}
			if len(out) == length {
				return "", smInvalidParameter("Password length is too short based on the required types.")
			}
			b, err := smPick(cl)
			if err != nil {
				return "", err
			}
			out = append(out, b)
		}
	}
	for len(out) < length {
		b, err := smPick(all)
		if err != nil {
			return "", err
		}
		out = append(out, b)
	}
	for i := len(out) - 1; i > 0; i-- {
		j, err := smRandInt(i + 1)
		if err != nil {
			return "", err
		}
		out[i], out[j] = out[j], out[i]
	}
	return string(out), nil
}

func smPick(chars string) (byte, error) {
	i, err := smRandInt(len(chars))
	if err != nil {
		return 0, err
	}
	return chars[i], nil
}

func smRandInt(n int) (int, error) {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, err
	}
	return int(v.Int64()), nil
}
