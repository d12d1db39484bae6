package mediahttp

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/media/blob"
	"github.com/backbeat/backbeat/server/media/blobkey"
	"github.com/backbeat/backbeat/server/media/urlsign"
)

// FuzzUploadURL PUTs to arbitrary upload paths and queries, as anyone may:
// the handler never panics or answers 5xx, and stores (and reports
// received) only uploads to a URL the signer made, under that URL's own
// track and upload.
func FuzzUploadURL(f *testing.F) {
	signer, err := urlsign.New(bytes.Repeat([]byte{1}, 32), "http://media.test", time.Hour, time.Hour, nil)
	if err != nil {
		f.Fatal(err)
	}
	valid, _ := signer.UploadURL(trackID, uploadID, userID)
	u, _ := url.Parse(valid)
	f.Add(u.EscapedPath(), u.RawQuery)
	f.Add(u.EscapedPath(), strings.Replace(u.RawQuery, "user=", "user=x", 1))
	f.Add("/media/upload/"+trackID+"/..%2F..%2Fetc", u.RawQuery)
	f.Add("/media/upload/"+trackID+"/"+uploadID+"%0A", u.RawQuery)
	f.Add("/media/upload//", "exp=&sig=&user=")
	f.Add("/media/upload/"+trackID+"/"+uploadID, "exp=99999999999999999999999&sig=x&user="+userID)
	f.Fuzz(func(t *testing.T, path, query string) {
		req, err := http.NewRequest(http.MethodPut, "http://media.test"+path+"?"+query, strings.NewReader("audio"))
		if err != nil || req.URL.Host != "media.test" {
			return
		}
		blobs, err := blob.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		rcv := &receiver{}
		mux := http.NewServeMux()
		New(blobs, signer, rcv, 1<<20, slogDiscard()).Register(mux)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("PUT %s?%s: %d %s", path, query, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusOK {
			if len(rcv.received) != 0 {
				t.Fatalf("PUT %s?%s: %d, yet received %v", path, query, rec.Code, rcv.received)
			}
			return
		}
		if len(rcv.received) != 1 {
			t.Fatalf("PUT %s?%s: 200, received %v", path, query, rcv.received)
		}
		j := rcv.received[0]
		q := req.URL.Query()
		if !domain.ValidID(j.TrackID) || !domain.ValidID(j.UploadID) || j.UserID != q.Get("user") ||
			signer.CheckUpload(j.TrackID, j.UploadID, j.UserID, q.Get("exp"), q.Get("sig")) != nil {
			t.Fatalf("PUT %s?%s stored upload %+v, which no signed URL names", path, query, j)
		}
		obj, err := blobs.Open(context.Background(), blobkey.Upload(j.TrackID, j.UploadID))
		if err != nil {
			t.Fatalf("PUT %s?%s: 200, yet the upload is not stored: %v", path, query, err)
		}
		obj.Close()
	})
}
