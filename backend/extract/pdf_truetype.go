package extract

import "encoding/binary"

// maxTrueTypeGlyphs bounds the glyph-to-rune map read from one font.
const maxTrueTypeGlyphs = 1 << 17

// trueTypeGlyphRunes reads the Unicode cmap of a TrueType/OpenType font
// program and inverts it: glyph id → the lowest code point drawn with
// it. A CID font without a ToUnicode map is read through it. Malformed
// or missing tables give an empty map.
func trueTypeGlyphRunes(data []byte) map[uint16]rune {
	out := make(map[uint16]rune)
	u16 := func(off int) int {
		if off < 0 || off+2 > len(data) {
			return -1
		}
		return int(binary.BigEndian.Uint16(data[off:]))
	}
	u32 := func(off int) int {
		if off < 0 || off+4 > len(data) {
			return -1
		}
		return int(binary.BigEndian.Uint32(data[off:]))
	}
	n := u16(4)
	cmap := -1
	for i := 0; i < n && i < 64; i++ {
		rec := 12 + 16*i
		if rec+16 > len(data) {
			break
		}
		if string(data[rec:rec+4]) == "cmap" {
			cmap = u32(rec + 8)
		}
	}
	if cmap < 0 {
		return out
	}
	// Pick the best Unicode subtable: full repertoire first, then BMP.
	best, bestRank := -1, 0
	symbol := false
	for i := 0; i < u16(cmap+2) && i < 64; i++ {
		rec := cmap + 4 + 8*i
		pid, eid, off := u16(rec), u16(rec+2), u32(rec+4)
		if off < 0 {
			break
		}
		rank := 0
		switch {
		case pid == 3 && eid == 10, pid == 0 && (eid == 4 || eid == 6):
			rank = 4
		case pid == 3 && eid == 1, pid == 0:
			rank = 3
		case pid == 3 && eid == 0:
			rank = 1
		}
		if rank > bestRank {
			best, bestRank, symbol = cmap+off, rank, pid == 3 && eid == 0
		}
	}
	if best < 0 {
		return out
	}
	add := func(r rune, gid int) {
		if gid <= 0 || gid > 0xffff || len(out) >= maxTrueTypeGlyphs {
			return
		}
		if symbol && r >= 0xf000 && r <= 0xf0ff {
			// Symbol cmaps hold codes, not characters.
			return
		}
		if old, ok := out[uint16(gid)]; !ok || r < old {
			out[uint16(gid)] = r
		}
	}
	budget := 1 << 20 // bounds the work on overlapping segments
	switch u16(best) {
	case 4:
		segs := u16(best+6) / 2
		ends, starts := best+14, best+16+2*segs
		deltas, ranges := starts+2*segs, starts+4*segs
		for s := 0; s < segs; s++ {
			end, start := u16(ends+2*s), u16(starts+2*s)
			delta, ro := u16(deltas+2*s), u16(ranges+2*s)
			if end < 0 || start < 0 || delta < 0 || ro < 0 {
				break
			}
			for c := start; c <= end && c != 0xffff && budget > 0; c++ {
				budget--
				gid := 0
				if ro == 0 {
					gid = (c + delta) & 0xffff
				} else if g := u16(ranges + 2*s + ro + 2*(c-start)); g > 0 {
					gid = (g + delta) & 0xffff
				}
				add(rune(c), gid)
			}
		}
	case 12:
		groups := u32(best + 12)
		for g := 0; g < groups && g < maxTrueTypeGlyphs; g++ {
			rec := best + 16 + 12*g
			start, end, gid := u32(rec), u32(rec+4), u32(rec+8)
			if start < 0 || end < start || gid < 0 || end > 0x10ffff {
				break
			}
			for c := start; c <= end && len(out) < maxTrueTypeGlyphs; c++ {
				add(rune(c), gid+c-start)
			}
		}
	case 6:
		first, count := u16(best+6), u16(best+8)
		for i := 0; i < count; i++ {
			add(rune(first+i), u16(best+10+2*i))
		}
	}
	return out
}
