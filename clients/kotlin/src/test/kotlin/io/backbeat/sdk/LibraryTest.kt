package io.backbeat.sdk

import backbeat.catalog.v1.listAlbumsRequest
import backbeat.catalog.v1.listTracksRequest
import backbeat.library.v1.areAlbumsSavedRequest
import backbeat.library.v1.areTracksSavedRequest
import backbeat.library.v1.removeSavedAlbumsRequest
import backbeat.library.v1.removeSavedTracksRequest
import backbeat.library.v1.saveAlbumsRequest
import backbeat.library.v1.saveTracksRequest
import backbeat.playback.v1.playbackContext
import backbeat.playback.v1.startPlaybackRequest
import io.backbeat.sdk.LiveServer.client
import io.backbeat.sdk.LiveServer.liveTest
import io.backbeat.sdk.LiveServer.uniqueName
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.toList
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The library of a freshly registered listener, against the demo catalog. */
class LibraryTest {
    private suspend fun freshListener(): BackbeatClient = client().also {
        val name = uniqueName("kt_lib_")
        it.register(name, "$name@example.com", "correct horse battery")
    }

    @Test
    fun `saves, hearts, pages Liked Songs newest first and unsaves`() = liveTest {
        freshListener().use { backbeat ->
            val ids = backbeat.catalog.listTracks(listTracksRequest { pageSize = 4 }).orThrow().tracksList.map { it.id }
            assertEquals(4, ids.size)
            for (id in ids.take(3)) { // one at a time: each save newer than the last
                backbeat.library.saveTracks(saveTracksRequest { trackIds.add(id) }).orThrow()
                delay(5)
            }
            val hearts = backbeat.library.areTracksSaved(areTracksSavedRequest { trackIds.addAll(ids) }).orThrow().savedList
            assertEquals(listOf(true, true, true, false), hearts)
            assertEquals(listOf(ids[2], ids[1], ids[0]), backbeat.library.savedTracks(pageSize = 2).map { it.track.id }.toList())

            backbeat.library.removeSavedTracks(removeSavedTracksRequest { trackIds.add(ids[1]) }).orThrow()
            val after = backbeat.library.areTracksSaved(areTracksSavedRequest { trackIds.addAll(ids.take(3)) }).orThrow().savedList
            assertEquals(listOf(true, false, true), after)
            // Liked Songs is a playback context; a track not in it is not found.
            assertThrows<BackbeatException.NotFound> {
                backbeat.playback.startPlayback(
                    startPlaybackRequest {
                        trackId = ids[1]
                        context = playbackContext { likedSongs = true }
                    },
                ).orThrow()
            }
        }
    }

    @Test
    fun `saves and unsaves an album`() = liveTest {
        freshListener().use { backbeat ->
            val albumId = backbeat.catalog.listAlbums(listAlbumsRequest { pageSize = 1 }).orThrow().albumsList.first().id
            backbeat.library.saveAlbums(saveAlbumsRequest { albumIds.add(albumId) }).orThrow()
            assertEquals(listOf(albumId), backbeat.library.savedAlbums().map { it.album.id }.toList())
            backbeat.library.removeSavedAlbums(removeSavedAlbumsRequest { albumIds.add(albumId) }).orThrow()
            val saved = backbeat.library.areAlbumsSaved(areAlbumsSavedRequest { albumIds.add(albumId) }).orThrow().savedList
            assertEquals(listOf(false), saved)
            val e = assertThrows<BackbeatException.InvalidArgument> {
                backbeat.library.saveAlbums(saveAlbumsRequest {}).orThrow()
            }
            assertEquals("album_ids", e.field)
        }
    }
}
