package search

import (
	"cmp"
	"slices"
	"sync"
	"unicode/utf8"
)

// Kind is what a document stands for.
type Kind uint8

const (
	KindArtist Kind = iota
	KindAlbum
	KindTrack
	KindPlaylist
	numKinds
)

func (k Kind) String() string {
	switch k {
	case KindArtist:
		return "artist"
	case KindAlbum:
		return "album"
	case KindTrack:
		return "track"
	case KindPlaylist:
		return "playlist"
	}
	return "unknown"
}

// Doc is one searchable entity. Primary is its own name or title; Secondary
// holds the texts it is also found by (artist names, album title), which rank
// lower. Popularity orders documents that match equally well.
type Doc struct {
	Kind       Kind
	ID         string
	Primary    string
	Secondary  []string
	Popularity int64
}

// A document word is packed as the word's id with the fields it appears in
// in the top bits, so a document's words are one small array of integers:
// matching a query then costs no string comparison and no pointer chasing,
// which is what dominated the cost of broad queries.
const (
	fieldPrimary   uint32 = 1 << 31
	fieldSecondary uint32 = 1 << 30
	wordIDMask            = fieldSecondary - 1
)

// doc is laid out widest field first, with 32-bit counts (a text's words
// and runes cannot reach 2^31), so it takes 64 bytes, not 80: it is the
// one structure every document has.
type doc struct {
	id string
	// words are the distinct word ids, each with its field bits.
	words []uint32
	pop   int64
	// slot is the document's number in Index.slots; postings hold slots.
	slot     uint32
	nPrimary int32
	titleLen int32
	kind     Kind
}

const noSlot = ^uint32(0)

type docKey struct {
	kind Kind
	id   string
}

// docSlots finds a document's slot by kind and id. One map per kind keyed
// by the id alone takes 24 bytes an entry where one keyed by kind and id
// pointing at the document took 32.
type docSlots [numKinds]map[string]uint32

func newDocSlots(n int) docSlots {
	var m docSlots
	for k := range m {
		m[k] = make(map[string]uint32, n)
	}
	return m
}

// postings are the documents holding one word, split by kind so a kinds
// filter costs nothing. A kind without the word has no list (nil): most
// words belong to one or two kinds, and four inline lists cost 256 bytes a
// word where this costs 32 plus 64 per kind present.
type postings [numKinds]*plist

// list returns the word's list of kind k, making it if there is none.
func (p *postings) list(k Kind) *plist {
	if p[k] == nil {
		p[k] = new(plist)
	}
	return p[k]
}

// plist is one posting list, ordered most popular first, then by slot, so
// every document has one place and the order can be decided from the list
// alone. It holds slots and popularities in parallel slices rather than
// document pointers: a query turns a word's postings into a bitmap, and
// merges lists by popularity, without reading any document, which is what
// made broad queries slow (a cache miss per posting). The head is copied
// beside the slices because a broad query starts by reading the heads of
// hundreds of lists.
type plist struct {
	slots   []uint32
	pops    []int64
	headPop int64
	headSlt uint32
}

// search returns where (pop, slot) is or would be in l.
func (l *plist) search(pop int64, slot uint32) (int, bool) {
	lo, hi := 0, len(l.slots)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if l.pops[m] > pop || l.pops[m] == pop && l.slots[m] < slot {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(l.slots) && l.slots[lo] == slot
}

func (l *plist) add(d *doc) {
	at, _ := l.search(d.pop, d.slot)
	l.slots = slices.Insert(l.slots, at, d.slot)
	l.pops = slices.Insert(l.pops, at, d.pop)
	l.resetHead()
}

func (l *plist) remove(d *doc) {
	if at, ok := l.search(d.pop, d.slot); ok {
		l.slots = slices.Delete(l.slots, at, at+1)
		l.pops = slices.Delete(l.pops, at, at+1)
		l.resetHead()
	}
}

func (l *plist) resetHead() {
	if len(l.slots) > 0 {
		l.headPop, l.headSlt = l.pops[0], l.slots[0]
	}
}

// Index is an in-memory prefix index. Searches run concurrently; Upsert and
// Delete exclude them briefly.
type Index struct {
	mu   sync.RWMutex
	docs docSlots
	// slots numbers the documents densely; freed slots are reused.
	slots []*doc
	free  []uint32

	// words is every distinct word, sorted, so the words starting with a
	// prefix are one contiguous range of positions found by binary search.
	// Words also have ids, which never change: wordIDs[position] is the id of
	// words[position] and positions[id] its position. Documents and postings
	// refer to ids so inserting a word only renumbers positions.
	words     []string
	wordIDs   []uint32
	positions []int32
	sigs      []sig      // by position, for the typo search
	lists     []postings // by word id
	// pending holds the words added since the dictionary was last sorted,
	// with their ids; their positions are unknown until flush merges them
	// in. Sorting each new word into place as it came cost time linear in
	// the dictionary per word, quadratic for an index filled by Upsert.
	pending map[string]uint32

	// noTypos turns typo tolerance off; only benchmarks set it, to measure
	// what tolerance costs against the index without it.
	noTypos bool
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{docs: newDocSlots(0)}
}

// Len returns the number of documents indexed.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n := 0
	for _, m := range ix.docs {
		n += len(m)
	}
	return n
}

// docText is a document's folded words before they get ids.
type docText struct {
	primary, secondary []string
}

// tokenizer folds texts. Build shares one with a cache, because artist names
// and album titles repeat across thousands of tracks.
type tokenizer func(text string, dst []string) []string

func plainTokens(text string, dst []string) []string { return splitDedup(Fold(text), dst) }

func cachedTokens() tokenizer {
	cache := make(map[string]string)
	return func(text string, dst []string) []string {
		f, ok := cache[text]
		if !ok {
			f = Fold(text)
			cache[text] = f
		}
		return splitDedup(f, dst)
	}
}

func textOf(d Doc, tokens tokenizer) docText {
	var t docText
	t.primary = tokens(d.Primary, nil)
	for _, s := range d.Secondary {
		t.secondary = tokens(s, t.secondary)
	}
	return t
}

// newDoc makes the document; wordID returns the id of a word, adding it to
// the dictionary when new.
func newDoc(d Doc, t docText, wordID func(string) uint32) *doc {
	nd := &doc{
		kind:     d.Kind,
		id:       d.ID,
		nPrimary: int32(len(t.primary)),
		titleLen: int32(utf8.RuneCountInString(d.Primary)),
		pop:      d.Popularity,
		slot:     noSlot,
		words:    make([]uint32, 0, len(t.primary)+len(t.secondary)),
	}
	for _, w := range t.primary {
		nd.words = append(nd.words, wordID(w)|fieldPrimary)
	}
next:
	for _, w := range t.secondary {
		id := wordID(w)
		for i, dw := range nd.words {
			if dw&wordIDMask == id {
				nd.words[i] |= fieldSecondary
				continue next
			}
		}
		nd.words = append(nd.words, id|fieldSecondary)
	}
	return nd
}

// Build replaces the whole index with docs. It sorts once instead of
// inserting word by word, which matters when loading a large catalog.
func (ix *Index) Build(docs []Doc) {
	tokens := cachedTokens()
	texts := make([]docText, len(docs))
	idOf := make(map[string]uint32)
	for i, d := range docs {
		texts[i] = textOf(d, tokens)
		for _, ws := range [][]string{texts[i].primary, texts[i].secondary} {
			for _, w := range ws {
				if _, ok := idOf[w]; !ok {
					idOf[w] = 0
				}
			}
		}
	}
	// Ids are assigned in sorted order, so at first a word's id is its
	// position.
	words := make([]string, 0, len(idOf))
	for w := range idOf {
		words = append(words, w)
	}
	slices.Sort(words)
	wordIDs := make([]uint32, len(words))
	positions := make([]int32, len(words))
	sigs := make([]sig, len(words))
	for i, w := range words {
		idOf[w] = uint32(i)
		wordIDs[i] = uint32(i)
		positions[i] = int32(i)
		sigs[i] = signature(w)
	}
	lookup := func(w string) uint32 { return idOf[w] }

	built := make(map[docKey]*doc, len(docs))
	for i, d := range docs {
		// A later duplicate replaces an earlier one, as Upsert would.
		built[docKey{d.Kind, d.ID}] = newDoc(d, texts[i], lookup)
	}
	// Slots follow the input order (not the map's), so equally popular
	// documents keep the same order from one build to the next.
	slots := make([]*doc, 0, len(built))
	for _, d := range docs {
		nd := built[docKey{d.Kind, d.ID}]
		if nd.slot == noSlot {
			nd.slot = uint32(len(slots))
			slots = append(slots, nd)
		}
	}
	lists := make([]postings, len(words))
	// Count each list's postings first (in headSlt, set properly below) so
	// every list is allocated at its size, with no spare capacity.
	for _, nd := range slots {
		for _, dw := range nd.words {
			lists[dw&wordIDMask].list(nd.kind).headSlt++
		}
	}
	for _, nd := range slots {
		for _, dw := range nd.words {
			l := lists[dw&wordIDMask][nd.kind]
			if l.slots == nil {
				l.slots = make([]uint32, 0, l.headSlt)
			}
			l.slots = append(l.slots, nd.slot)
		}
	}
	for i := range lists {
		for _, l := range lists[i] {
			if l == nil {
				continue
			}
			slices.SortFunc(l.slots, func(a, b uint32) int {
				if pa, pb := slots[a].pop, slots[b].pop; pa != pb {
					return cmp.Compare(pb, pa)
				}
				return cmp.Compare(a, b)
			})
			l.pops = make([]int64, len(l.slots))
			for j, s := range l.slots {
				l.pops[j] = slots[s].pop
			}
			l.resetHead()
		}
	}

	ix.mu.Lock()
	defer ix.mu.Unlock()
	byID := newDocSlots(0)
	for _, nd := range slots {
		byID[nd.kind][nd.id] = nd.slot
	}
	ix.docs, ix.slots, ix.free = byID, slots, nil
	ix.words, ix.wordIDs, ix.positions, ix.sigs, ix.lists = words, wordIDs, positions, sigs, lists
	ix.pending = nil
}

// wordID returns the id of w, adding it to the dictionary if new. A new
// word waits in pending until the next search sorts it in (see flush).
func (ix *Index) wordID(w string) uint32 {
	if p, found := slices.BinarySearch(ix.words, w); found {
		return ix.wordIDs[p]
	}
	if id, ok := ix.pending[w]; ok {
		return id
	}
	id := uint32(len(ix.lists))
	if id > wordIDMask {
		panic("search: too many distinct words")
	}
	ix.lists = append(ix.lists, postings{})
	ix.positions = append(ix.positions, -1)
	if ix.pending == nil {
		ix.pending = make(map[string]uint32)
	}
	ix.pending[w] = id
	return id
}

// flush merges the pending words into the sorted dictionary: one sort of
// the new words and one pass over the dictionary from the back, in place,
// however many were added. The caller holds the write lock.
func (ix *Index) flush() {
	m := len(ix.pending)
	if m == 0 {
		return
	}
	added := make([]string, 0, m)
	for w := range ix.pending {
		added = append(added, w)
	}
	slices.Sort(added)
	n := len(ix.words)
	ix.words = slices.Grow(ix.words, m)[:n+m]
	ix.wordIDs = slices.Grow(ix.wordIDs, m)[:n+m]
	ix.sigs = slices.Grow(ix.sigs, m)[:n+m]
	i, k := n-1, n+m-1
	for j := m - 1; j >= 0; k-- {
		if i >= 0 && ix.words[i] > added[j] {
			ix.words[k], ix.wordIDs[k], ix.sigs[k] = ix.words[i], ix.wordIDs[i], ix.sigs[i]
			i--
		} else {
			ix.words[k], ix.wordIDs[k], ix.sigs[k] = added[j], ix.pending[added[j]], signature(added[j])
			j--
		}
	}
	// Positions below the first new word's are unchanged.
	for p := k + 1; p < n+m; p++ {
		ix.positions[ix.wordIDs[p]] = int32(p)
	}
	ix.pending = nil
}

// rlockSorted takes the read lock with the dictionary sorted, flushing
// pending words first under the write lock if there are any.
func (ix *Index) rlockSorted() {
	ix.mu.RLock()
	for len(ix.pending) > 0 {
		ix.mu.RUnlock()
		ix.mu.Lock()
		ix.flush()
		ix.mu.Unlock()
		ix.mu.RLock()
	}
}

// Upsert adds d, replacing any document of the same kind and id.
func (ix *Index) Upsert(d Doc) {
	t := textOf(d, plainTokens)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	nd := newDoc(d, t, ix.wordID)
	if slot, ok := ix.docs[d.Kind][d.ID]; ok {
		ix.unlink(ix.slots[slot])
		nd.slot = slot
	} else if n := len(ix.free); n > 0 {
		nd.slot = ix.free[n-1]
		ix.free = ix.free[:n-1]
	} else {
		nd.slot = uint32(len(ix.slots))
		ix.slots = append(ix.slots, nil)
	}
	ix.slots[nd.slot] = nd
	ix.docs[d.Kind][d.ID] = nd.slot
	for _, dw := range nd.words {
		ix.lists[dw&wordIDMask].list(nd.kind).add(nd)
	}
}

// Delete removes the document of that kind and id, if any.
func (ix *Index) Delete(kind Kind, id string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if slot, ok := ix.docs[kind][id]; ok {
		ix.unlink(ix.slots[slot])
		delete(ix.docs[kind], id)
		ix.slots[slot] = nil
		ix.free = append(ix.free, slot)
	}
}

// unlink removes d from its words' postings. Words left without postings
// stay in the dictionary: they cost a few bytes, and removing them would
// renumber positions on every delete.
func (ix *Index) unlink(d *doc) {
	for _, dw := range d.words {
		ps := &ix.lists[dw&wordIDMask]
		if l := ps[d.kind]; l != nil {
			l.remove(d)
			if len(l.slots) == 0 {
				ps[d.kind] = nil
			}
		}
	}
}
