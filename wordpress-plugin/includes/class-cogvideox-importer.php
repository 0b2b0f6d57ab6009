<?php
/**
 * Imports a finished video (and its poster) into the Media Library, exactly once per task,
 * whichever of webhook, WP-Cron or the editor's polling gets there first.
 *
 * @package CogVideoX
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Media Library import.
 */
class CogVideoX_Importer {

	/** Attachment meta naming the task an attachment came from. */
	const META_SOURCE_TASK = '_cogvideox_source_task';

	/** Attachment meta: 'video', 'poster' or 'preview' (the animated WebP for hover previews). */
	const META_SOURCE_KIND = '_cogvideox_source_kind';

	/** Video attachment meta: the featured image it was animated from (image-to-video jobs). */
	const META_SOURCE_IMAGE = '_cogvideox_source_image';

	/** Option-name prefix of import locks. */
	const LOCK_PREFIX = '_cogvideox_lock_';

	/** A lock older than this belongs to a request that died. */
	const LOCK_TTL = 600;

	/**
	 * Import the video of a completed task and attach it to the post.
	 *
	 * @param int    $post_id  Post id.
	 * @param string $task_id  Task id.
	 * @param string $video_id Video id on the service.
	 * @param string $via      'webhook', 'cron' or 'editor'.
	 * @return int|WP_Error Video attachment id (0 while another request is importing it).
	 */
	public static function import( $post_id, $task_id, $video_id, $via ) {
		$existing = self::find_attachment( $task_id, 'video' );
		if ( $existing ) {
			self::link_to_post( $post_id, $existing, self::find_attachment( $task_id, 'poster' ), null, self::find_attachment( $task_id, 'preview' ) );
			return $existing;
		}

		$lock = self::LOCK_PREFIX . md5( (string) $task_id );
		if ( ! self::acquire_lock( $lock ) ) {
			return 0;
		}
		try {
			// Another request may have finished between the first check and the lock.
			$existing = self::find_attachment( $task_id, 'video' );
			if ( $existing ) {
				self::link_to_post( $post_id, $existing, self::find_attachment( $task_id, 'poster' ), null, self::find_attachment( $task_id, 'preview' ) );
				return $existing;
			}
			return self::import_locked( $post_id, $task_id, $video_id, $via );
		} finally {
			self::release_lock( $lock );
		}
	}

	/**
	 * The import itself (caller holds the lock).
	 *
	 * @param int    $post_id  Post id.
	 * @param string $task_id  Task id.
	 * @param string $video_id Video id.
	 * @param string $via      Path that triggered the import.
	 * @return int|WP_Error
	 */
	private static function import_locked( $post_id, $task_id, $video_id, $via ) {
		require_once ABSPATH . 'wp-admin/includes/file.php';
		require_once ABSPATH . 'wp-admin/includes/media.php';
		require_once ABSPATH . 'wp-admin/includes/image.php';

		$client = CogVideoX_API_Client::from_settings();
		$post   = get_post( $post_id );
		if ( ! $post ) {
			return new WP_Error( 'cogvideox_no_post', __( 'The post of this video no longer exists.', 'cogvideox' ) );
		}
		$title = trim( wp_strip_all_tags( $post->post_title ) );
		$base  = sanitize_file_name( 'cogvideox-' . ( '' !== $title ? sanitize_title( $title ) : 'video' ) . '-' . substr( preg_replace( '/[^a-zA-Z0-9]/', '', (string) $task_id ), 0, 8 ) );
		$label = '' !== $title
			/* translators: %s: post title */
			? sprintf( __( 'Video: %s', 'cogvideox' ), $title )
			: __( 'Generated video', 'cogvideox' );

		$tmp = $client->download_to_temp( $video_id );
		if ( is_wp_error( $tmp ) ) {
			return $tmp;
		}
		$video_attachment = self::sideload( $tmp, $base . '.mp4', $post_id, $label );
		if ( is_wp_error( $video_attachment ) ) {
			return $video_attachment;
		}
		$prompt = (string) get_post_meta( $post_id, CogVideoX_Jobs::META_PROMPT, true );
		wp_update_post(
			array(
				'ID'           => $video_attachment,
				'post_content' => $prompt,
				'post_author'  => (int) $post->post_author,
			)
		);
		update_post_meta( $video_attachment, self::META_SOURCE_TASK, (string) $task_id );
		update_post_meta( $video_attachment, self::META_SOURCE_KIND, 'video' );
		$params = json_decode( (string) get_post_meta( $post_id, CogVideoX_Jobs::META_PARAMS, true ), true );
		if ( is_array( $params ) && ! empty( $params['featured_image'] ) ) {
			update_post_meta( $video_attachment, self::META_SOURCE_IMAGE, (int) $params['featured_image'] );
		}

		// The poster is a nice-to-have: a failure here keeps the video.
		$poster_attachment = 0;
		$tmp_poster        = $client->download_to_temp( $video_id, 'thumbnail' );
		if ( ! is_wp_error( $tmp_poster ) ) {
			/* translators: %s: attachment title */
			$poster = self::sideload( $tmp_poster, $base . '-poster.jpg', $post_id, sprintf( __( '%s (poster)', 'cogvideox' ), $label ) );
			if ( ! is_wp_error( $poster ) ) {
				$poster_attachment = (int) $poster;
				wp_update_post(
					array(
						'ID'          => $poster_attachment,
						'post_author' => (int) $post->post_author,
					)
				);
				update_post_meta( $poster_attachment, self::META_SOURCE_TASK, (string) $task_id );
				update_post_meta( $poster_attachment, self::META_SOURCE_KIND, 'poster' );
				update_post_meta( $poster_attachment, '_wp_attachment_image_alt', $label );
				// The poster becomes the video's cover image in the Media Library and players.
				set_post_thumbnail( $video_attachment, $poster_attachment );
			}
		}

		// The animated WebP preview (the posts list shows it on hover): a nice-to-have too;
		// an older service has none.
		$preview_attachment = 0;
		$tmp_preview        = $client->download_to_temp( $video_id, 'preview' );
		if ( ! is_wp_error( $tmp_preview ) ) {
			/* translators: %s: attachment title */
			$preview = self::sideload( $tmp_preview, $base . '-preview.webp', $post_id, sprintf( __( '%s (preview)', 'cogvideox' ), $label ) );
			if ( ! is_wp_error( $preview ) ) {
				$preview_attachment = (int) $preview;
				wp_update_post(
					array(
						'ID'          => $preview_attachment,
						'post_author' => (int) $post->post_author,
					)
				);
				update_post_meta( $preview_attachment, self::META_SOURCE_TASK, (string) $task_id );
				update_post_meta( $preview_attachment, self::META_SOURCE_KIND, 'preview' );
				update_post_meta( $preview_attachment, '_wp_attachment_image_alt', $label );
			}
		}

		self::link_to_post( $post_id, $video_attachment, $poster_attachment, $via, $preview_attachment );

		/**
		 * Fires once when a generated video has been imported.
		 *
		 * @param int    $video_attachment  Video attachment id.
		 * @param int    $poster_attachment Poster attachment id (0 if none).
		 * @param int    $post_id           Post id.
		 * @param string $via               'webhook', 'cron' or 'editor'.
		 */
		do_action( 'cogvideox_video_imported', $video_attachment, $poster_attachment, $post_id, $via );
		return $video_attachment;
	}

	/**
	 * Record the attachments on the post.
	 *
	 * @param int         $post_id Post id.
	 * @param int         $video   Video attachment.
	 * @param int         $poster  Poster attachment (0: none).
	 * @param string|null $via     Import path (null: keep what is recorded).
	 * @param int         $preview Animated WebP preview attachment (0: none).
	 */
	private static function link_to_post( $post_id, $video, $poster, $via, $preview = 0 ) {
		update_post_meta( $post_id, CogVideoX_Jobs::META_ATTACHMENT_ID, (int) $video );
		if ( $poster ) {
			update_post_meta( $post_id, CogVideoX_Jobs::META_POSTER_ID, (int) $poster );
		}
		if ( $preview ) {
			update_post_meta( $post_id, CogVideoX_Jobs::META_PREVIEW_ID, (int) $preview );
		}
		if ( null !== $via ) {
			update_post_meta( $post_id, CogVideoX_Jobs::META_IMPORTED_VIA, sanitize_key( $via ) );
		}
	}

	/**
	 * Move a temporary file into the Media Library.
	 *
	 * @param string $tmp       Temporary file.
	 * @param string $file_name Wanted file name.
	 * @param int    $post_id   Parent post.
	 * @param string $title     Attachment title.
	 * @return int|WP_Error
	 */
	private static function sideload( $tmp, $file_name, $post_id, $title ) {
		$file = array(
			'name'     => $file_name,
			'tmp_name' => $tmp,
		);
		$id = media_handle_sideload( $file, $post_id, $title );
		if ( is_wp_error( $id ) ) {
			wp_delete_file( $tmp );
			return new WP_Error( 'cogvideox_import_failed', sprintf( /* translators: %s: error message */ __( 'Could not add the file to the Media Library: %s', 'cogvideox' ), $id->get_error_message() ) );
		}
		return (int) $id;
	}

	/**
	 * The attachment imported for a task, if any.
	 *
	 * @param string $task_id Task id.
	 * @param string $kind    'video', 'poster' or 'preview'.
	 * @return int
	 */
	public static function find_attachment( $task_id, $kind ) {
		global $wpdb;
		// Direct query: the answer must not come from a stale object cache.
		$id = $wpdb->get_var( // phpcs:ignore WordPress.DB.DirectDatabaseQuery
			$wpdb->prepare(
				"SELECT p.ID FROM {$wpdb->posts} p
				 INNER JOIN {$wpdb->postmeta} t ON t.post_id = p.ID AND t.meta_key = %s AND t.meta_value = %s
				 INNER JOIN {$wpdb->postmeta} k ON k.post_id = p.ID AND k.meta_key = %s AND k.meta_value = %s
				 WHERE p.post_type = 'attachment' ORDER BY p.ID ASC LIMIT 1",
				self::META_SOURCE_TASK,
				(string) $task_id,
				self::META_SOURCE_KIND,
				(string) $kind
			)
		);
		return (int) $id;
	}

	/**
	 * Take a lock: an INSERT on the options table's unique key, so only one request wins.
	 *
	 * @param string $name Option name of the lock.
	 * @param int    $ttl  Seconds after which a left-over lock is considered dead.
	 * @return bool
	 */
	public static function acquire_lock( $name, $ttl = self::LOCK_TTL ) {
		global $wpdb;
		// phpcs:disable WordPress.DB.DirectDatabaseQuery
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name = %s AND option_value < %d", $name, time() - (int) $ttl ) );
		$inserted = $wpdb->query( $wpdb->prepare( "INSERT IGNORE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES (%s, %s, 'no')", $name, (string) time() ) );
		// phpcs:enable
		return 1 === (int) $inserted;
	}

	/**
	 * Release a lock.
	 *
	 * @param string $name Option name of the lock.
	 */
	public static function release_lock( $name ) {
		global $wpdb;
		$wpdb->delete( $wpdb->options, array( 'option_name' => $name ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
		wp_cache_delete( $name, 'options' );
	}
}
