package extract

import (
	"bytes"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha1"
	"encoding/binary"
	"unicode/utf16"
)

// Excel applies RC4 encryption with the built-in password
// "VelvetSweatshop" to workbooks whose structure is protected but which
// need no password to open; those are readable. After [MS-OFFCRYPTO]
// 2.3.6 (RC4) and 2.3.5 (RC4 CryptoAPI), and [MS-XLS] 2.2.10: record
// headers stay in the clear, the data of every other record is encrypted
// with a key that changes every 1024 bytes of stream.

const xlsDefaultPassword = "VelvetSweatshop"

// biffKey derives the RC4 key of one 1024-byte block.
type biffKey func(block uint32) []byte

// xlsRC4Key checks password against a FILEPASS record's verifier and
// returns the key schedule it unlocks, or nil.
func xlsRC4Key(filepass []byte, password string) biffKey {
	if len(filepass) < 6 || binary.LittleEndian.Uint16(filepass) != 1 {
		return nil // XOR obfuscation: no default password to try
	}
	pw := utf16Bytes(password)
	switch major := binary.LittleEndian.Uint16(filepass[2:]); {
	case major == 1:
		// RC4: salt, verifier and MD5 verifier hash, 16 bytes each.
		if len(filepass) < 6+48 {
			return nil
		}
		salt := filepass[6:22]
		h0 := md5.Sum(pw)
		buf := make([]byte, 0, 16*21)
		for range 16 {
			buf = append(buf, h0[:5]...)
			buf = append(buf, salt...)
		}
		h1 := md5.Sum(buf)
		key := func(block uint32) []byte {
			var b [9]byte
			copy(b[:], h1[:5])
			binary.LittleEndian.PutUint32(b[5:], block)
			h := md5.Sum(b[:])
			return h[:]
		}
		verifier := rc4Decrypt(key(0), filepass[22:54])
		if got := md5.Sum(verifier[:16]); !bytes.Equal(got[:], verifier[16:32]) {
			return nil
		}
		return key
	case major >= 2 && major <= 4:
		// RC4 CryptoAPI: an EncryptionHeader, then the verifier with a
		// SHA-1 hash.
		if len(filepass) < 14 {
			return nil
		}
		hsize := int(binary.LittleEndian.Uint32(filepass[10:]))
		if hsize < 20 || 14+hsize+4+16+16+4+20 > len(filepass) {
			return nil
		}
		bits := int(binary.LittleEndian.Uint32(filepass[14+16:]))
		if bits == 0 {
			bits = 40
		}
		if bits < 40 || bits > 128 || bits%8 != 0 {
			return nil
		}
		v := filepass[14+hsize:]
		if binary.LittleEndian.Uint32(v) != 16 {
			return nil
		}
		salt := v[4:20]
		h0 := sha1.Sum(append(append([]byte{}, salt...), pw...))
		key := func(block uint32) []byte {
			b := make([]byte, 24)
			copy(b, h0[:])
			binary.LittleEndian.PutUint32(b[20:], block)
			h := sha1.Sum(b)
			if bits == 40 {
				return append(h[:5:5], make([]byte, 11)...)
			}
			return h[:bits/8]
		}
		enc := append(append([]byte{}, v[20:36]...), v[40:60]...)
		verifier := rc4Decrypt(key(0), enc)
		if got := sha1.Sum(verifier[:16]); !bytes.Equal(got[:], verifier[16:36]) {
			return nil
		}
		return key
	}
	return nil
}

func utf16Bytes(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

func rc4Decrypt(key, data []byte) []byte {
	c, err := rc4.NewCipher(key)
	if err != nil {
		return make([]byte, len(data))
	}
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

// decryptBIFF returns a copy of the workbook stream with record data
// decrypted. The key stream runs over the whole stream by offset; record
// headers, the records that are never encrypted and the stream offset in
// BOUNDSHEET stay as they are.
func decryptBIFF(wb []byte, key biffKey) []byte {
	out := bytes.Clone(wb)
	var (
		ks    [1024]byte
		block = ^uint32(0)
	)
	xor := func(from, to int) {
		for o := from; o < to; o++ {
			if b := uint32(o / 1024); b != block {
				block = b
				clear(ks[:])
				c, err := rc4.NewCipher(key(b))
				if err != nil {
					return
				}
				c.XORKeyStream(ks[:], ks[:])
			}
			out[o] ^= ks[o%1024]
		}
	}
	for pos := 0; ; {
		typ, data, next, ok := biffRecord(wb, pos)
		if !ok {
			break
		}
		start := pos + 4
		switch typ {
		case biffBOF, biffFilePass, 0x0194, 0x0195, 0x00E1, 0x0196, 0x0138:
			// BOF, FILEPASS, UsrExcl, FileLock, InterfaceHdr, RRDInfo, RRDHead
		case biffBoundSheet:
			xor(start+min(4, len(data)), next)
		default:
			xor(start, next)
		}
		pos = next
	}
	return out
}
