package extract

import (
	"archive/zip"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// A password-protected .docx, .xlsx or .pptx is an OLE compound file
// whose EncryptionInfo stream describes the encryption and whose
// EncryptedPackage stream holds the encrypted zip package, after
// [MS-OFFCRYPTO] 2.3.4: Agile encryption (Office 2010 and later; XML
// description, AES with SHA-1/SHA-2 and a spun password hash) and
// Standard encryption (Office 2007; AES-ECB with a SHA-1 derived key).
// The package is decrypted into memory, bounded by the stream size and so
// by MaxFileSize, and read by the docx, xlsx or pptx reader.

const ooxmlEncrypted = "password-protected Office document (encrypted OOXML package)"

// ooxmlDefaultPassword is the password Excel uses for workbooks that are
// encrypted only to protect their structure.
const ooxmlDefaultPassword = xlsDefaultPassword

// maxSpinCount is the largest hash iteration count [MS-OFFCRYPTO] allows.
const maxSpinCount = 10_000_000

// errUnsupportedCrypto marks an encryption this reader does not implement.
var errUnsupportedCrypto = errors.New("unsupported encryption")

func readEncryptedOOXML(x *extraction) error {
	cf, err := x.openCFB("ooxml", "EncryptionInfo", "EncryptedPackage")
	if err != nil {
		return err
	}
	info, pkgData := cf.streams["EncryptionInfo"], cf.streams["EncryptedPackage"]
	if info == nil || pkgData == nil {
		return failf(ErrEncrypted, "%s", ooxmlEncrypted)
	}
	dec, err := newOOXMLDecrypter(info)
	if err != nil {
		if errors.Is(err, errUnsupportedCrypto) {
			return fail(ErrEncrypted, ooxmlEncrypted+": "+err.Error(), err)
		}
		return fail(ErrCorrupt, "corrupt encrypted OOXML package: "+err.Error(), err)
	}
	password := x.opts.Password
	if password == "" {
		password = ooxmlDefaultPassword
	}
	key, err := dec.key(x, password)
	if err != nil {
		return err
	}
	if key == nil {
		if x.opts.Password == "" {
			return failf(ErrEncrypted, "%s", ooxmlEncrypted)
		}
		return wrongPassword(ooxmlEncrypted)
	}
	plain, err := dec.decrypt(key, pkgData)
	clear(key)
	if err != nil {
		return fail(ErrCorrupt, "corrupt encrypted OOXML package: "+err.Error(), err)
	}
	return x.readDecryptedOOXML(plain)
}

// readDecryptedOOXML reads a decrypted package with the reader its
// content calls for.
func (x *extraction) readDecryptedOOXML(plain []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(plain), int64(len(plain)))
	if err != nil {
		return fail(ErrCorrupt, "decrypted OOXML package is not a valid zip package: "+err.Error(), err)
	}
	format := sniffZip(bytes.NewReader(plain), int64(len(plain)), "")
	read := map[string]func(*pkg) error{
		"docx": x.readDOCXPackage,
		"xlsx": x.readXLSXPackage,
		"pptx": x.readPPTXPackage,
	}[format]
	if read == nil {
		return failf(ErrUnsupported, "encrypted OOXML package holds an unsupported document (%s)", format)
	}
	x.doc.Format, x.doc.MIME = format, mimeByFormat[format]
	return read(newPkg(zr))
}

// ooxmlDecrypter is one EncryptionInfo: it checks a password and
// decrypts the package with the key the password unlocks.
type ooxmlDecrypter interface {
	// key returns the package key, nil when password is wrong.
	key(x *extraction, password string) ([]byte, error)
	decrypt(key, pkgData []byte) ([]byte, error)
}

func newOOXMLDecrypter(info []byte) (ooxmlDecrypter, error) {
	if len(info) < 8 {
		return nil, errors.New("EncryptionInfo is too short")
	}
	major, minor := binary.LittleEndian.Uint16(info), binary.LittleEndian.Uint16(info[2:])
	switch {
	case major == 4 && minor == 4:
		return parseAgile(info[8:])
	case (major == 2 || major == 3 || major == 4) && minor == 2:
		return parseStandard(info[8:])
	case (major == 3 || major == 4) && minor == 3:
		return nil, fmt.Errorf("%w (extensible encryption)", errUnsupportedCrypto)
	}
	return nil, fmt.Errorf("%w (EncryptionInfo version %d.%d)", errUnsupportedCrypto, major, minor)
}

// Agile encryption ([MS-OFFCRYPTO] 2.3.4.10–2.3.4.15).

type agileParams struct {
	SaltValue       string `xml:"saltValue,attr"`
	BlockSize       int    `xml:"blockSize,attr"`
	KeyBits         int    `xml:"keyBits,attr"`
	HashSize        int    `xml:"hashSize,attr"`
	CipherAlgorithm string `xml:"cipherAlgorithm,attr"`
	CipherChaining  string `xml:"cipherChaining,attr"`
	HashAlgorithm   string `xml:"hashAlgorithm,attr"`
}

type agilePasswordKey struct {
	agileParams
	SpinCount                  int    `xml:"spinCount,attr"`
	EncryptedVerifierHashInput string `xml:"encryptedVerifierHashInput,attr"`
	EncryptedVerifierHashValue string `xml:"encryptedVerifierHashValue,attr"`
	EncryptedKeyValue          string `xml:"encryptedKeyValue,attr"`
}

type agileInfo struct {
	KeyData       agileParams `xml:"keyData"`
	KeyEncryptors []struct {
		URI          string            `xml:"uri,attr"`
		EncryptedKey *agilePasswordKey `xml:"encryptedKey"`
	} `xml:"keyEncryptors>keyEncryptor"`
}

type agileDecrypter struct {
	data agileCipher // package encryption
	pw   agileCipher // key encryption by the password
	spin int
	// encrypted verifier input and hash and encrypted package key
	verInput, verHash, encKey []byte
}

// agileCipher is one set of cipher parameters with its salt.
type agileCipher struct {
	salt      []byte
	blockSize int
	keyBytes  int
	hashSize  int
	hash      func() hash.Hash
}

var (
	agileBlockVerifierInput = []byte{0xfe, 0xa7, 0xd2, 0x76, 0x3b, 0x4b, 0x9e, 0x79}
	agileBlockVerifierHash  = []byte{0xd7, 0xaa, 0x0f, 0x6d, 0x30, 0x61, 0x34, 0x4e}
	agileBlockKey           = []byte{0x14, 0x6e, 0x0b, 0xe7, 0xab, 0xac, 0xd0, 0xd6}
)

func parseAgile(b []byte) (*agileDecrypter, error) {
	var info agileInfo
	if err := xml.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("EncryptionInfo XML: %w", err)
	}
	var pk *agilePasswordKey
	for _, ke := range info.KeyEncryptors {
		if ke.EncryptedKey != nil && strings.HasSuffix(ke.URI, "/password") {
			pk = ke.EncryptedKey
			break
		}
	}
	if pk == nil {
		return nil, fmt.Errorf("%w (no password key encryptor: certificate encryption?)", errUnsupportedCrypto)
	}
	d := &agileDecrypter{spin: pk.SpinCount}
	var err error
	if d.data, err = agileCipherOf(info.KeyData); err != nil {
		return nil, err
	}
	if d.pw, err = agileCipherOf(pk.agileParams); err != nil {
		return nil, err
	}
	if d.spin < 0 || d.spin > maxSpinCount {
		return nil, fmt.Errorf("spin count %d out of range", d.spin)
	}
	for _, f := range []struct {
		dst *[]byte
		src string
	}{{&d.verInput, pk.EncryptedVerifierHashInput}, {&d.verHash, pk.EncryptedVerifierHashValue}, {&d.encKey, pk.EncryptedKeyValue}} {
		v, err := base64.StdEncoding.DecodeString(f.src)
		if err != nil || len(v) == 0 || len(v)%d.pw.blockSize != 0 {
			return nil, errors.New("malformed password key encryptor")
		}
		*f.dst = v
	}
	return d, nil
}

func agileCipherOf(p agileParams) (agileCipher, error) {
	c := agileCipher{blockSize: p.BlockSize, keyBytes: p.KeyBits / 8, hashSize: p.HashSize}
	if p.CipherAlgorithm != "AES" {
		return c, fmt.Errorf("%w (cipher %s)", errUnsupportedCrypto, p.CipherAlgorithm)
	}
	if p.CipherChaining != "ChainingModeCBC" {
		return c, fmt.Errorf("%w (chaining %s)", errUnsupportedCrypto, p.CipherChaining)
	}
	if c.blockSize != aes.BlockSize {
		return c, fmt.Errorf("AES block size %d", c.blockSize)
	}
	switch c.keyBytes {
	case 16, 24, 32:
	default:
		return c, fmt.Errorf("AES key of %d bits", p.KeyBits)
	}
	switch p.HashAlgorithm {
	case "SHA1":
		c.hash = sha1.New
	case "SHA256":
		c.hash = sha256.New
	case "SHA384":
		c.hash = sha512.New384
	case "SHA512":
		c.hash = sha512.New
	default:
		return c, fmt.Errorf("%w (hash %s)", errUnsupportedCrypto, p.HashAlgorithm)
	}
	if n := c.hash().Size(); c.hashSize != n {
		if c.hashSize != 0 {
			return c, fmt.Errorf("hash size %d for %s", c.hashSize, p.HashAlgorithm)
		}
		c.hashSize = n
	}
	var err error
	if c.salt, err = base64.StdEncoding.DecodeString(p.SaltValue); err != nil || len(c.salt) == 0 {
		return c, errors.New("malformed salt")
	}
	return c, nil
}

// fit truncates b to n bytes or pads it with 0x36.
func fit(b []byte, n int) []byte {
	if len(b) >= n {
		return b[:n]
	}
	return append(b, bytes.Repeat([]byte{0x36}, n-len(b))...)
}

func (d *agileDecrypter) key(x *extraction, password string) ([]byte, error) {
	c := d.pw
	h := c.hash()
	h.Write(c.salt)
	h.Write(utf16Bytes(password))
	sum := h.Sum(nil)
	var it [4]byte
	for i := range d.spin {
		if i%65536 == 0 {
			if err := x.ctx.Err(); err != nil {
				return nil, err
			}
		}
		binary.LittleEndian.PutUint32(it[:], uint32(i))
		h.Reset()
		h.Write(it[:])
		h.Write(sum)
		sum = h.Sum(sum[:0])
	}
	derive := func(block []byte) []byte {
		h.Reset()
		h.Write(sum)
		h.Write(block)
		return fit(h.Sum(nil), c.keyBytes)
	}
	iv := fit(bytes.Clone(c.salt), c.blockSize)
	input, err := aesCBCDecrypt(derive(agileBlockVerifierInput), iv, d.verInput)
	if err != nil {
		return nil, nil
	}
	want, err := aesCBCDecrypt(derive(agileBlockVerifierHash), iv, d.verHash)
	if err != nil || len(want) < c.hashSize || len(input) < len(c.salt) {
		return nil, nil
	}
	h.Reset()
	h.Write(input[:len(c.salt)])
	if subtle.ConstantTimeCompare(h.Sum(nil), want[:c.hashSize]) != 1 {
		return nil, nil
	}
	key, err := aesCBCDecrypt(derive(agileBlockKey), iv, d.encKey)
	if err != nil || len(key) < d.data.keyBytes {
		return nil, nil
	}
	return key[:d.data.keyBytes], nil
}

// decrypt decrypts the package in 4096-byte segments, each with its own
// IV: the hash of the key data salt and the segment number.
func (d *agileDecrypter) decrypt(key, pkgData []byte) ([]byte, error) {
	size, body, err := ooxmlPackageSize(pkgData)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	body = body[:len(body)/aes.BlockSize*aes.BlockSize]
	if int64(len(body)) < size {
		return nil, fmt.Errorf("package of %d bytes holds only %d", size, len(body))
	}
	out := make([]byte, len(body))
	h := d.data.hash()
	var seg [4]byte
	for i, off := uint32(0), 0; off < len(body); i, off = i+1, off+4096 {
		end := min(off+4096, len(body))
		binary.LittleEndian.PutUint32(seg[:], i)
		h.Reset()
		h.Write(d.data.salt)
		h.Write(seg[:])
		iv := fit(h.Sum(nil), aes.BlockSize)
		cipher.NewCBCDecrypter(block, iv).CryptBlocks(out[off:end], body[off:end])
	}
	return out[:size], nil
}

func aesCBCDecrypt(key, iv, data []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if len(data)%aes.BlockSize != 0 || len(iv) != aes.BlockSize {
		return nil, errors.New("bad block length")
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	return out, nil
}

// ooxmlPackageSize splits EncryptedPackage into the declared plaintext
// size and the encrypted bytes.
func ooxmlPackageSize(pkgData []byte) (int64, []byte, error) {
	if len(pkgData) < 8 {
		return 0, nil, errors.New("EncryptedPackage is too short")
	}
	size := binary.LittleEndian.Uint64(pkgData)
	body := pkgData[8:]
	if size > uint64(len(body)) {
		return 0, nil, fmt.Errorf("package of %d bytes holds only %d", size, len(body))
	}
	return int64(size), body, nil
}

// Standard encryption ([MS-OFFCRYPTO] 2.3.4.5–2.3.4.9).

const (
	calgAES128 = 0x660E
	calgAES192 = 0x660F
	calgAES256 = 0x6610
	calgSHA1   = 0x8004
)

type standardDecrypter struct {
	keyBytes          int
	salt              []byte
	encVerifier       []byte
	encVerifierHash   []byte
	verifierHashBytes int
}

func parseStandard(b []byte) (*standardDecrypter, error) {
	if len(b) < 4 {
		return nil, errors.New("EncryptionInfo is too short")
	}
	hsize := int(binary.LittleEndian.Uint32(b))
	if hsize < 32 || 4+hsize > len(b) {
		return nil, errors.New("bad EncryptionHeader size")
	}
	hdr := b[4 : 4+hsize]
	alg := binary.LittleEndian.Uint32(hdr[8:])
	algHash := binary.LittleEndian.Uint32(hdr[12:])
	bits := int(binary.LittleEndian.Uint32(hdr[16:]))
	switch alg {
	case calgAES128, calgAES192, calgAES256:
	case 0x6801:
		return nil, fmt.Errorf("%w (RC4)", errUnsupportedCrypto)
	default:
		return nil, fmt.Errorf("%w (algorithm 0x%04x)", errUnsupportedCrypto, alg)
	}
	if algHash != 0 && algHash != calgSHA1 {
		return nil, fmt.Errorf("%w (hash 0x%04x)", errUnsupportedCrypto, algHash)
	}
	if bits != 128 && bits != 192 && bits != 256 {
		return nil, fmt.Errorf("AES key of %d bits", bits)
	}
	v := b[4+hsize:]
	if len(v) < 4+16+16+4+32 || binary.LittleEndian.Uint32(v) != 16 {
		return nil, errors.New("malformed EncryptionVerifier")
	}
	return &standardDecrypter{
		keyBytes:          bits / 8,
		salt:              v[4:20],
		encVerifier:       v[20:36],
		verifierHashBytes: int(binary.LittleEndian.Uint32(v[36:])),
		encVerifierHash:   v[40:72],
	}, nil
}

func (d *standardDecrypter) key(x *extraction, password string) ([]byte, error) {
	h := sha1.New()
	h.Write(d.salt)
	h.Write(utf16Bytes(password))
	sum := h.Sum(nil)
	var it [4]byte
	for i := range 50000 {
		binary.LittleEndian.PutUint32(it[:], uint32(i))
		h.Reset()
		h.Write(it[:])
		h.Write(sum)
		sum = h.Sum(sum[:0])
	}
	if err := x.ctx.Err(); err != nil {
		return nil, err
	}
	h.Reset()
	h.Write(sum)
	h.Write([]byte{0, 0, 0, 0})
	final := h.Sum(nil)
	derive := func(pad byte) []byte {
		buf := bytes.Repeat([]byte{pad}, 64)
		for i, c := range final {
			buf[i] ^= c
		}
		s := sha1.Sum(buf)
		return s[:]
	}
	key := append(derive(0x36), derive(0x5c)...)[:d.keyBytes]
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil
	}
	verifier := make([]byte, 16)
	block.Decrypt(verifier, d.encVerifier)
	vh := make([]byte, 32)
	block.Decrypt(vh[:16], d.encVerifierHash[:16])
	block.Decrypt(vh[16:], d.encVerifierHash[16:])
	got := sha1.Sum(verifier)
	if subtle.ConstantTimeCompare(got[:], vh[:sha1.Size]) != 1 {
		return nil, nil
	}
	return key, nil
}

// decrypt decrypts the package with AES in ECB mode.
func (d *standardDecrypter) decrypt(key, pkgData []byte) ([]byte, error) {
	size, body, err := ooxmlPackageSize(pkgData)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	n := len(body) / aes.BlockSize * aes.BlockSize
	if int64(n) < size {
		return nil, fmt.Errorf("package of %d bytes holds only %d", size, n)
	}
	out := make([]byte, n)
	for off := 0; off < n; off += aes.BlockSize {
		block.Decrypt(out[off:off+aes.BlockSize], body[off:off+aes.BlockSize])
	}
	return out[:size], nil
}
