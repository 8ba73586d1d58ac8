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
		return nil // XOR obfuscation: see xlsXORArray
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
	encryptedSpans(wb, func(from, to, _ int) { xor(from, to) })
	return out
}

// encryptedSpans calls fn with the byte range of every record's data that
// is encrypted (or obfuscated), and the record's data size: all of it but
// for the records never encrypted and the stream offset in BOUNDSHEET.
func encryptedSpans(wb []byte, fn func(from, to, size int)) {
	for pos := 0; ; {
		typ, data, next, ok := biffRecord(wb, pos)
		if !ok {
			return
		}
		start := pos + 4
		switch typ {
		case biffBOF, biffFilePass, 0x0194, 0x0195, 0x00E1, 0x0196, 0x0138:
			// BOF, FILEPASS, UsrExcl, FileLock, InterfaceHdr, RRDInfo, RRDHead
		case biffBoundSheet:
			fn(start+min(4, len(data)), next, len(data))
		default:
			fn(start, next, len(data))
		}
		pos = next
	}
}

// XOR obfuscation, after [MS-OFFCRYPTO] 2.3.7.1–2.3.7.4 (method 1, the
// one Excel uses) and [MS-XLS] 2.2.10: the password yields a 16-bit
// verifier stored in FILEPASS and a 16-byte array XORed into record data.

var xorPadArray = [15]byte{0xBB, 0xFF, 0xFF, 0xBA, 0xFF, 0xFF, 0xB9, 0x80, 0x00, 0xBE, 0x0F, 0x00, 0xBF, 0x0F, 0x00}

var xorInitialCode = [15]uint16{0xE1F0, 0x1D0F, 0xCC9C, 0x84C0, 0x110C, 0x0E10, 0xF1CE, 0x313E, 0x1872, 0xE139, 0xD40F, 0x84F9, 0x280C, 0xA96A, 0x4EC3}

var xorMatrix = [105]uint16{
	0xAEFC, 0x4DD9, 0x9BB2, 0x2745, 0x4E8A, 0x9D14, 0x2A09,
	0x7B61, 0xF6C2, 0xFDA5, 0xEB6B, 0xC6F7, 0x9DCF, 0x2BBF,
	0x4563, 0x8AC6, 0x05AD, 0x0B5A, 0x16B4, 0x2D68, 0x5AD0,
	0x0375, 0x06EA, 0x0DD4, 0x1BA8, 0x3750, 0x6EA0, 0xDD40,
	0xD849, 0xA0B3, 0x5147, 0xA28E, 0x553D, 0xAA7A, 0x44D5,
	0x6F45, 0xDE8A, 0xAD35, 0x4A4B, 0x9496, 0x390D, 0x721A,
	0xEB23, 0xC667, 0x9CEF, 0x29FF, 0x53FE, 0xA7FC, 0x5FD9,
	0x47D3, 0x8FA6, 0x0F6D, 0x1EDA, 0x3DB4, 0x7B68, 0xF6D0,
	0xB861, 0x60E3, 0xC1C6, 0x93AD, 0x377B, 0x6EF6, 0xDDEC,
	0x45A0, 0x8B40, 0x06A1, 0x0D42, 0x1A84, 0x3508, 0x6A10,
	0xAA51, 0x4483, 0x8906, 0x022D, 0x045A, 0x08B4, 0x1168,
	0x76B4, 0xED68, 0xCAF1, 0x85C3, 0x1BA7, 0x374E, 0x6E9C,
	0x3730, 0x6E60, 0xDCC0, 0xA9A1, 0x4363, 0x86C6, 0x1DAD,
	0x3331, 0x6662, 0xCCC4, 0x89A9, 0x0373, 0x06E6, 0x0DCC,
	0x1021, 0x2042, 0x4084, 0x8108, 0x1231, 0x2462, 0x48C4,
}

// xorPasswordBytes is the 8-bit form of a password for XOR obfuscation:
// per UTF-16 unit its low byte, or its high byte where the low one is
// zero; at most 15.
func xorPasswordBytes(password string) []byte {
	var out []byte
	for _, c := range utf16.Encode([]rune(password)) {
		if len(out) == 15 {
			break
		}
		b := byte(c)
		if b == 0 {
			b = byte(c >> 8)
		}
		out = append(out, b)
	}
	return out
}

func xorVerifier(pw []byte) uint16 {
	var v uint16
	for i := len(pw); i >= 0; i-- {
		b := byte(len(pw))
		if i > 0 {
			b = pw[i-1]
		}
		v = ((v>>14)&1 | (v<<1)&0x7FFF) ^ uint16(b)
	}
	return v ^ 0xCE4B
}

func xorKey(pw []byte) uint16 {
	k := xorInitialCode[len(pw)-1]
	el := len(xorMatrix) - 1
	for i := len(pw) - 1; i >= 0; i-- {
		c := pw[i]
		for range 7 {
			if c&0x40 != 0 {
				k ^= xorMatrix[el]
			}
			c <<= 1
			el--
		}
	}
	return k
}

func rotr8(b byte, n uint) byte { return b>>n | b<<(8-n) }

// xorArray is the obfuscation array of a password: the password padded
// to 16 bytes, each XORed with a byte of the key and rotated.
func xorArray(pw []byte) [16]byte {
	k := xorKey(pw)
	var a [16]byte
	for i := range a {
		c := byte(0)
		if i < len(pw) {
			c = pw[i]
		} else {
			c = xorPadArray[i-len(pw)]
		}
		kb := byte(k)
		if i%2 == 1 {
			kb = byte(k >> 8)
		}
		a[i] = rotr8(c^kb, 1)
	}
	return a
}

// xlsXORArray checks password against the verifier of an XOR FILEPASS
// record (BIFF8: type 0, key, verifier; BIFF5: key, verifier) and returns
// the obfuscation array, or false.
func xlsXORArray(filepass []byte, password string) ([16]byte, bool) {
	var kv []byte
	switch {
	case len(filepass) == 4:
		kv = filepass
	case len(filepass) >= 6 && binary.LittleEndian.Uint16(filepass) == 0:
		kv = filepass[2:6]
	default:
		return [16]byte{}, false
	}
	pw := xorPasswordBytes(password)
	if len(pw) == 0 || xorVerifier(pw) != binary.LittleEndian.Uint16(kv[2:]) {
		return [16]byte{}, false
	}
	if k := binary.LittleEndian.Uint16(kv); k != 0 && k != xorKey(pw) {
		return [16]byte{}, false
	}
	return xorArray(pw), true
}

// decryptBIFFXOR is decryptBIFF for XOR obfuscation: the array index of
// a data byte is its stream offset plus the record's data size.
func decryptBIFFXOR(wb []byte, arr [16]byte) []byte {
	out := bytes.Clone(wb)
	encryptedSpans(wb, func(from, to, size int) {
		for o := from; o < to; o++ {
			out[o] = rotr8(out[o]^arr[(o+size)%16], 5)
		}
	})
	return out
}

// rc4StreamKey checks password against an encryption header as Word and
// PowerPoint store it (an EncryptionVersionInfo first, RC4 or RC4
// CryptoAPI; FILEPASS has the same after its type field) and returns the
// key schedule it unlocks, or nil.
func rc4StreamKey(info []byte, password string) biffKey {
	if password == "" || len(info) < 4 {
		return nil
	}
	return xlsRC4Key(append([]byte{1, 0}, info...), password)
}

// rc4Blocks decrypts data in place with the key stream that restarts
// with the key of each blockSize-byte block, counted from the start.
func rc4Blocks(data []byte, key biffKey, blockSize int) {
	for off, block := 0, uint32(0); off < len(data); off, block = off+blockSize, block+1 {
		c, err := rc4.NewCipher(key(block))
		if err != nil {
			return
		}
		end := min(off+blockSize, len(data))
		c.XORKeyStream(data[off:end], data[off:end])
	}
}
