package io.backbeat.sdk

import backbeat.catalog.v1.Catalog
import backbeat.catalog.v1.CatalogServiceClientInterface
import backbeat.catalog.v1.listAlbumsRequest
import backbeat.catalog.v1.listArtistsRequest
import backbeat.catalog.v1.listTracksRequest
import backbeat.catalog.v1.searchRequest
import backbeat.library.v1.Library
import backbeat.library.v1.LibraryServiceClientInterface
import backbeat.library.v1.listSavedAlbumsRequest
import backbeat.library.v1.listSavedTracksRequest
import backbeat.playback.v1.Playback
import backbeat.playback.v1.PlaybackServiceClientInterface
import backbeat.playback.v1.listRecentlyPlayedRequest
import backbeat.playlist.v1.PlaylistOuterClass
import backbeat.playlist.v1.PlaylistServiceClientInterface
import backbeat.playlist.v1.getPlaylistRequest
import backbeat.playlist.v1.listPlaylistsRequest
import com.connectrpc.ResponseMessage
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow

/**
 * The pages of a Backbeat list call, fetched lazily as the flow is collected:
 * [fetch] gets the page for a page token ("" for the first), and the flow
 * follows each page's [nextPageToken] until it is empty. A failed page ends
 * the flow with a [BackbeatException]. Stop collecting (e.g. `take(n)`) to
 * stop fetching.
 */
fun <P> pages(
    fetch: suspend (pageToken: String) -> ResponseMessage<P>,
    nextPageToken: (P) -> String,
): Flow<P> = flow {
    var token = ""
    while (true) {
        val page = fetch(token).orThrow()
        emit(page)
        val next = nextPageToken(page)
        if (next.isEmpty()) return@flow
        check(next != token) { "server returned the same page token twice: $next" }
        token = next
    }
}

/** The items of every page of a list call, in order; see [pages]. */
fun <P, T> pagedItems(
    fetch: suspend (pageToken: String) -> ResponseMessage<P>,
    nextPageToken: (P) -> String,
    items: (P) -> List<T>,
): Flow<T> = flow {
    pages(fetch, nextPageToken).collect { page -> items(page).forEach { emit(it) } }
}

/**
 * Every result of one search group, [type], best first: each request names
 * only that type and follows the group's own next_page_token. [pageSize] 0
 * lets the server choose.
 */
fun CatalogServiceClientInterface.searchGroupAll(
    query: String,
    type: Catalog.ItemType,
    pageSize: Int = 0,
): Flow<Catalog.SearchResult> = pagedItems(
    fetch = { token -> searchPage(query, listOf(type), pageSize, token) },
    nextPageToken = { it.group(type)?.nextPageToken ?: "" },
    items = { it.group(type)?.resultsList ?: emptyList() },
)

/** The group of [type] in a search response, or null if it was not asked for. */
fun Catalog.SearchResponse.group(type: Catalog.ItemType): Catalog.SearchGroup? =
    groupsList.firstOrNull { it.type == type }

/**
 * Every result of the deprecated mixed list for [query], best first;
 * [pageSize] 0 lets the server choose. Prefer [searchGroupAll] and the
 * response's groups and top result.
 */
@Suppress("DEPRECATION")
fun CatalogServiceClientInterface.searchAll(
    query: String,
    types: List<Catalog.ItemType> = emptyList(),
    pageSize: Int = 0,
): Flow<Catalog.SearchResult> = pagedItems(
    fetch = { token -> searchPage(query, types, pageSize, token) },
    nextPageToken = { it.nextPageToken },
    items = { it.resultsList },
)

private suspend fun CatalogServiceClientInterface.searchPage(
    query: String,
    types: List<Catalog.ItemType>,
    pageSize: Int,
    token: String,
) = search(
    searchRequest {
        this.query = query
        this.types.addAll(types)
        this.pageSize = pageSize
        pageToken = token
    },
)

/** Every track of the catalog. */
fun CatalogServiceClientInterface.allTracks(pageSize: Int = 0): Flow<Catalog.Track> = pagedItems(
    fetch = { token -> listTracks(listTracksRequest { this.pageSize = pageSize; pageToken = token }) },
    nextPageToken = { it.nextPageToken },
    items = { it.tracksList },
)

/** Every artist of the catalog. */
fun CatalogServiceClientInterface.allArtists(pageSize: Int = 0): Flow<Catalog.Artist> = pagedItems(
    fetch = { token -> listArtists(listArtistsRequest { this.pageSize = pageSize; pageToken = token }) },
    nextPageToken = { it.nextPageToken },
    items = { it.artistsList },
)

/** Every album of the catalog. */
fun CatalogServiceClientInterface.allAlbums(pageSize: Int = 0): Flow<Catalog.Album> = pagedItems(
    fetch = { token -> listAlbums(listAlbumsRequest { this.pageSize = pageSize; pageToken = token }) },
    nextPageToken = { it.nextPageToken },
    items = { it.albumsList },
)

/** Every entry of a playlist, in playlist order (GetPlaylist, page by page). */
fun PlaylistServiceClientInterface.entries(
    playlistId: String,
    pageSize: Int = 0,
): Flow<PlaylistOuterClass.PlaylistEntry> = pagedItems(
    fetch = { token ->
        getPlaylist(getPlaylistRequest { this.playlistId = playlistId; this.pageSize = pageSize; pageToken = token })
    },
    nextPageToken = { it.nextPageToken },
    items = { it.entriesList },
)

/** Every playlist of [userId] that the caller may see; "" for the caller's own. */
fun PlaylistServiceClientInterface.allPlaylists(
    userId: String = "",
    pageSize: Int = 0,
): Flow<PlaylistOuterClass.Playlist> = pagedItems(
    fetch = { token ->
        listPlaylists(listPlaylistsRequest { this.userId = userId; this.pageSize = pageSize; pageToken = token })
    },
    nextPageToken = { it.nextPageToken },
    items = { it.playlistsList },
)

/** Every play in the caller's listening history, newest first (ListRecentlyPlayed, page by page). */
fun PlaybackServiceClientInterface.recentlyPlayed(pageSize: Int = 0): Flow<Playback.PlayedTrack> = pagedItems(
    fetch = { token -> listRecentlyPlayed(listRecentlyPlayedRequest { this.pageSize = pageSize; pageToken = token }) },
    nextPageToken = { it.nextPageToken },
    items = { it.itemsList },
)

/** The caller's saved tracks ("Liked Songs"), most recently saved first. */
fun LibraryServiceClientInterface.savedTracks(pageSize: Int = 0): Flow<Library.SavedTrack> = pagedItems(
    fetch = { token -> listSavedTracks(listSavedTracksRequest { this.pageSize = pageSize; pageToken = token }) },
    nextPageToken = { it.nextPageToken },
    items = { it.itemsList },
)

/** The caller's saved albums, most recently saved first. */
fun LibraryServiceClientInterface.savedAlbums(pageSize: Int = 0): Flow<Library.SavedAlbum> = pagedItems(
    fetch = { token -> listSavedAlbums(listSavedAlbumsRequest { this.pageSize = pageSize; pageToken = token }) },
    nextPageToken = { it.nextPageToken },
    items = { it.itemsList },
)
