package io.backbeat.sdk

import backbeat.catalog.v1.searchRequest
import backbeat.playback.v1.Playback.EventType
import backbeat.playback.v1.playbackContext
import backbeat.playback.v1.playbackEvent
import backbeat.playback.v1.reportPlaybackRequest
import backbeat.playback.v1.startPlaybackRequest
import backbeat.playlist.v1.addTracksRequest
import backbeat.playlist.v1.createPlaylistRequest
import backbeat.playlist.v1.playlist
import io.backbeat.sdk.LiveServer.liveTest
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** The README's quickstart and playback example, as written there (URL aside), so they keep compiling and working. */
class QuickstartTest {
    private val out = mutableListOf<String>()

    private fun println(line: Any?) {
        out += line.toString()
    }

    @Test
    fun `the README quickstart runs`() = liveTest {
        BackbeatClient.create(LiveServer.url).use { backbeat ->
            backbeat.login("demo", "backbeat-demo")

            val hits = backbeat.catalog.search(searchRequest { query = "lodz" }).orThrow()
            hits.resultsList.forEach { println(it.artist.name.ifEmpty { it.album.title.ifEmpty { it.track.title } }) }

            val mix = backbeat.playlists.createPlaylist(
                createPlaylistRequest { playlist = playlist { name = "Road trip" } },
            ).orThrow().playlist
            val tracks = backbeat.catalog.allTracks(pageSize = 50).take(10).toList()
            backbeat.playlists.addTracks(addTracksRequest {
                playlistId = mix.id
                trackIds.addAll(tracks.map { it.id })
            }).orThrow()

            backbeat.playlists.entries(mix.id).collect { println(it.trackId) }

            try {
                backbeat.playlists.createPlaylist(createPlaylistRequest { playlist = playlist { name = "" } }).orThrow()
            } catch (e: BackbeatException.InvalidArgument) {
                println("${e.codeName} on ${e.field}: ${e.message}")   // invalid_argument on playlist.name: …
            }

            assertTrue("Łódź Brass Ensemble" in out, "printed: $out")
            assertEquals(tracks.map { it.id }, out.filter { line -> tracks.any { it.id == line } })
            assertTrue(out.last().startsWith("invalid_argument on "), out.last())
        }
    }

    @Test
    fun `the README playback example runs`() = liveTest {
        BackbeatClient.create(LiveServer.url).use { backbeat ->
            backbeat.login("demo", "backbeat-demo")

            val demoMix = backbeat.playlists.allPlaylists().first { it.name == "Demo Mix" }
            val play = backbeat.playback.startPlayback(startPlaybackRequest {
                context = playbackContext { playlistId = demoMix.id }   // with no trackId: the track at contextIndex (0)
                deviceId = "my-phone"
            }).orThrow()   // FailedPrecondition while the track's audio is still being processed
            println("${play.hlsUrl} (${play.durationMs} ms)")

            fun event(type: EventType, positionMs: Long) = playbackEvent {
                playbackId = play.playbackId; trackId = play.trackId; this.type = type; this.positionMs = positionMs
                deviceId = "my-phone"
            }
            backbeat.playback.reportPlayback(reportPlaybackRequest { events += event(EventType.EVENT_TYPE_START, 0) }).orThrow()
            // … the player reaches the end:
            backbeat.playback.reportPlayback(reportPlaybackRequest { events += event(EventType.EVENT_TYPE_END, play.durationMs) }).orThrow()

            println(backbeat.playback.recentlyPlayed().first().trackId == play.trackId)   // true: newest first

            assertTrue(out.first().contains("/master.m3u8"), out.first())
            assertEquals("true", out.last())
        }
    }
}
