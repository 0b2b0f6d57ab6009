<?php
/**
 * A post's video job: starting it, following it, and the state the editor sees.
 *
 * The service is the source of truth for the job; post meta keeps the last known state so
 * the editor, the webhook receiver and WP-Cron agree on what is pending.
 *
 * @package CogVideoX
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Job lifecycle for posts.
 */
class CogVideoX_Jobs {

	const META_TASK_ID         = '_cogvideox_task_id';
	const META_STATUS          = '_cogvideox_status';
	const META_PROGRESS        = '_cogvideox_progress';
	const META_STAGE           = '_cogvideox_stage';
	const META_ERROR           = '_cogvideox_error';
	const META_PROMPT          = '_cogvideox_prompt';
	const META_PARAMS          = '_cogvideox_params';
	const META_VIDEO_ID        = '_cogvideox_video_id';
	const META_ATTACHMENT_ID   = '_cogvideox_attachment_id';
	const META_POSTER_ID       = '_cogvideox_poster_id';
	const META_IMPORTED_VIA    = '_cogvideox_imported_via';
	const META_GENERATE_ON_SAVE = '_cogvideox_generate_on_save';
	const META_UPDATED_AT      = '_cogvideox_updated_at';

	/** States in which the service is still working. */
	const PENDING = array( 'queued', 'processing' );

	/** States the service will not leave. */
	const TERMINAL = array( 'completed', 'failed', 'canceled' );

	/**
	 * Every post meta key the plugin writes (uninstall removes them).
	 *
	 * @return string[]
	 */
	public static function meta_keys() {
		return array(
			self::META_TASK_ID,
			self::META_STATUS,
			self::META_PROGRESS,
			self::META_STAGE,
			self::META_ERROR,
			self::META_PROMPT,
			self::META_PARAMS,
			self::META_VIDEO_ID,
			self::META_ATTACHMENT_ID,
			self::META_POSTER_ID,
			self::META_IMPORTED_VIA,
			self::META_GENERATE_ON_SAVE,
			self::META_UPDATED_AT,
		);
	}

	/**
	 * Build the POST /api/generate body from editor input, filling gaps from the settings.
	 *
	 * @param int   $post_id Post id.
	 * @param array $input   prompt, duration, resolution, enhance_quality, template.
	 * @return array|WP_Error
	 */
	public static function build_payload( $post_id, array $input ) {
		$defaults = CogVideoX_Settings::defaults();
		$prompt   = isset( $input['prompt'] ) ? sanitize_textarea_field( (string) $input['prompt'] ) : '';
		$template = isset( $input['template'] ) ? sanitize_title( (string) $input['template'] ) : '';
		if ( '' !== $template ) {
			return self::build_template_payload( $post_id, $template, $prompt, $input );
		}
		if ( '' === trim( $prompt ) ) {
			$prompt = self::prompt_from_post( $post_id );
		}
		if ( '' === trim( $prompt ) ) {
			return new WP_Error( 'cogvideox_empty_prompt', __( 'Write a prompt (or give the post a title) first.', 'cogvideox' ), array( 'status' => 400 ) );
		}
		$payload = array(
			'prompt'   => mb_substr( $prompt, 0, 2000 ),
			'duration' => CogVideoX_Settings::sanitize_duration( isset( $input['duration'] ) ? $input['duration'] : $defaults['duration'] ),
		);
		$resolution = isset( $input['resolution'] ) ? CogVideoX_Settings::sanitize_resolution( $input['resolution'] ) : $defaults['resolution'];
		if ( isset( $input['resolution'] ) && '' !== trim( (string) $input['resolution'] ) && '' === $resolution ) {
			return new WP_Error( 'cogvideox_bad_resolution', __( 'Resolution must look like 720x480 (width x height, multiples of 16).', 'cogvideox' ), array( 'status' => 400 ) );
		}
		if ( '' !== $resolution ) {
			$payload['resolution'] = $resolution;
		}
		$payload['enhance_quality'] = isset( $input['enhance_quality'] ) ? rest_sanitize_boolean( $input['enhance_quality'] ) : (bool) $defaults['enhance_quality'];

		$callback = self::callback_url();
		if ( $callback ) {
			$payload['callback_url'] = $callback;
		}
		$payload['metadata'] = array(
			'source'     => 'wordpress',
			'wp_post_id' => (int) $post_id,
			'wp_site'    => home_url( '/' ),
		);
		/**
		 * Filters the body sent to POST /api/generate.
		 *
		 * @param array $payload Request body.
		 * @param int   $post_id Post id.
		 * @param array $input   Editor input.
		 */
		return apply_filters( 'cogvideox_generate_payload', $payload, $post_id, $input );
	}

	/**
	 * The body for a service template: `template` (slug) + `variables`, rendered by the
	 * service, so the template's negative prompt and default parameters apply. Only what the
	 * editor chose explicitly is sent besides (a prompt they wrote, duration, resolution,
	 * quality); the site's defaults are not, or they would hide the template's.
	 *
	 * @param int    $post_id  Post id.
	 * @param string $template Template slug.
	 * @param string $prompt   The editor's own prompt, or ''.
	 * @param array  $input    Editor input.
	 * @return array|WP_Error
	 */
	public static function build_template_payload( $post_id, $template, $prompt, array $input ) {
		$payload = array(
			'template'  => $template,
			'variables' => self::template_variables( $post_id ),
		);
		if ( '' !== trim( $prompt ) ) {
			$payload['prompt'] = mb_substr( $prompt, 0, 2000 );
		}
		if ( isset( $input['duration'] ) && '' !== (string) $input['duration'] ) {
			$payload['duration'] = CogVideoX_Settings::sanitize_duration( $input['duration'] );
		}
		if ( isset( $input['resolution'] ) && '' !== trim( (string) $input['resolution'] ) ) {
			$resolution = CogVideoX_Settings::sanitize_resolution( $input['resolution'] );
			if ( '' === $resolution ) {
				return new WP_Error( 'cogvideox_bad_resolution', __( 'Resolution must look like 720x480 (width x height, multiples of 16).', 'cogvideox' ), array( 'status' => 400 ) );
			}
			$payload['resolution'] = $resolution;
		}
		if ( isset( $input['enhance_quality'] ) ) {
			$payload['enhance_quality'] = rest_sanitize_boolean( $input['enhance_quality'] );
		}
		$callback = self::callback_url();
		if ( $callback ) {
			$payload['callback_url'] = $callback;
		}
		$payload['metadata'] = array(
			'source'      => 'wordpress',
			'wp_post_id'  => (int) $post_id,
			'wp_site'     => home_url( '/' ),
			'wp_template' => $template,
		);
		/** This filter is documented in build_payload(). */
		return apply_filters( 'cogvideox_generate_payload', $payload, $post_id, $input );
	}

	/**
	 * What a service template can use from a post: title (also as subject and topic, the
	 * names older templates used), excerpt, categories, tags, and every custom field the
	 * settings map to a variable ("color = _product_color"). Each at most 500 characters,
	 * the service's limit.
	 *
	 * @param int $post_id Post id.
	 * @return array<string,string>
	 */
	public static function template_variables( $post_id ) {
		$post = get_post( $post_id );
		if ( ! $post ) {
			return array();
		}
		$title     = trim( wp_strip_all_tags( $post->post_title ) );
		$names     = function ( $terms ) {
			return is_array( $terms ) ? implode( ', ', wp_list_pluck( $terms, 'name' ) ) : '';
		};
		$variables = array(
			'title'      => $title,
			'subject'    => $title,
			'topic'      => $title,
			'excerpt'    => trim( wp_strip_all_tags( $post->post_excerpt ) ),
			'categories' => $names( get_the_category( $post_id ) ),
			'tags'       => $names( get_the_tags( $post_id ) ),
		);
		foreach ( CogVideoX_Settings::variable_map() as $name => $meta_key ) {
			$value              = get_post_meta( $post_id, $meta_key, true );
			$variables[ $name ] = is_scalar( $value ) ? trim( wp_strip_all_tags( (string) $value ) ) : '';
		}
		/**
		 * Filters the variables sent with a template.
		 *
		 * @param array $variables Name => text.
		 * @param int   $post_id   Post id.
		 */
		$variables = apply_filters( 'cogvideox_template_variables', $variables, $post_id );
		return array_map(
			function ( $value ) {
				return mb_substr( (string) $value, 0, 500 );
			},
			$variables
		);
	}

	/**
	 * The webhook URL the service should call, or '' when no secret is configured (an
	 * unverifiable webhook would be refused anyway; WP-Cron covers that case).
	 *
	 * @return string
	 */
	public static function callback_url() {
		if ( '' === CogVideoX_Settings::webhook_secret() ) {
			return '';
		}
		return rest_url( CogVideoX_REST::NAMESPACE_V1 . '/webhook' );
	}

	/**
	 * A prompt from the post title and excerpt.
	 *
	 * @param int $post_id Post id.
	 * @return string
	 */
	public static function prompt_from_post( $post_id ) {
		$post = get_post( $post_id );
		if ( ! $post ) {
			return '';
		}
		$parts = array_filter(
			array(
				trim( wp_strip_all_tags( $post->post_title ) ),
				trim( wp_strip_all_tags( $post->post_excerpt ) ),
			)
		);
		return implode( '. ', $parts );
	}

	/**
	 * Start a job for a post.
	 *
	 * @param int   $post_id Post id.
	 * @param array $payload Body for POST /api/generate (see build_payload()).
	 * @return array|WP_Error The post's job state.
	 */
	public static function start( $post_id, array $payload ) {
		$status = (string) get_post_meta( $post_id, self::META_STATUS, true );
		if ( in_array( $status, self::PENDING, true ) ) {
			return new WP_Error( 'cogvideox_busy', __( 'A video is already being generated for this post. Cancel it first.', 'cogvideox' ), array( 'status' => 409 ) );
		}
		$client = CogVideoX_API_Client::from_settings();
		$answer = $client->generate( $payload, wp_generate_uuid4() );
		if ( is_wp_error( $answer ) ) {
			return $answer;
		}
		self::remember_started( $post_id, (string) $answer['task_id'], $payload, $answer );
		return self::state( $post_id );
	}

	/**
	 * Record a newly accepted job in post meta and make sure polling runs.
	 *
	 * @param int    $post_id Post id.
	 * @param string $task_id Task id.
	 * @param array  $payload Body that was sent.
	 * @param array  $answer  Service answer.
	 */
	public static function remember_started( $post_id, $task_id, array $payload, array $answer = array() ) {
		update_post_meta( $post_id, self::META_TASK_ID, sanitize_text_field( $task_id ) );
		update_post_meta( $post_id, self::META_STATUS, isset( $answer['status'] ) ? sanitize_key( $answer['status'] ) : 'queued' );
		update_post_meta( $post_id, self::META_PROGRESS, 0 );
		update_post_meta( $post_id, self::META_STAGE, '' );
		update_post_meta( $post_id, self::META_PROMPT, isset( $payload['prompt'] ) ? sanitize_textarea_field( $payload['prompt'] ) : '' );
		// With a template the service rendered the prompt and chose the defaults: keep what it resolved.
		$recorded = $payload;
		if ( isset( $payload['template'] ) ) {
			foreach ( array( 'prompt', 'negative_prompt', 'duration', 'resolution' ) as $key ) {
				if ( isset( $answer[ $key ] ) && ! isset( $recorded[ $key ] ) ) {
					$recorded[ $key ] = $answer[ $key ];
				}
			}
		}
		update_post_meta( $post_id, self::META_PARAMS, wp_json_encode( $recorded ) );
		update_post_meta( $post_id, self::META_UPDATED_AT, time() );
		delete_post_meta( $post_id, self::META_ERROR );
		delete_post_meta( $post_id, self::META_VIDEO_ID );
		CogVideoX_Cron::ensure_scheduled();
	}

	/**
	 * Ask the service for the job's state and apply it.
	 *
	 * @param int    $post_id Post id.
	 * @param string $via     'editor', 'cron' or 'webhook' (recorded on import).
	 * @return array|WP_Error The post's job state.
	 */
	public static function sync( $post_id, $via = 'editor' ) {
		$task_id = (string) get_post_meta( $post_id, self::META_TASK_ID, true );
		if ( '' === $task_id ) {
			return self::state( $post_id );
		}
		$status = (string) get_post_meta( $post_id, self::META_STATUS, true );
		$needs_import = 'completed' === $status && ! self::attachment_id( $post_id );
		if ( ! in_array( $status, self::PENDING, true ) && ! $needs_import && '' !== $status ) {
			return self::state( $post_id );
		}
		$body = CogVideoX_API_Client::from_settings()->status( $task_id );
		if ( is_wp_error( $body ) ) {
			$data = $body->get_error_data();
			if ( is_array( $data ) && isset( $data['http_status'] ) && 404 === $data['http_status'] ) {
				// The service does not know the job (deleted, or another account's token now):
				// stop polling it and say so.
				update_post_meta( $post_id, self::META_STATUS, 'failed' );
				update_post_meta( $post_id, self::META_ERROR, __( 'CogVideoX Studio no longer knows this job (was the API token changed?). Generate again.', 'cogvideox' ) );
				update_post_meta( $post_id, self::META_UPDATED_AT, time() );
				return self::state( $post_id );
			}
			return $body;
		}
		return self::apply_status( $post_id, $body, $via );
	}

	/**
	 * Apply a status body (from GET /api/status or a webhook) to the post; import on completion.
	 *
	 * @param int    $post_id Post id.
	 * @param array  $body    Status body.
	 * @param string $via     Where the news came from.
	 * @return array|WP_Error The post's job state, or the import error.
	 */
	public static function apply_status( $post_id, array $body, $via ) {
		$task_id = (string) get_post_meta( $post_id, self::META_TASK_ID, true );
		if ( isset( $body['task_id'] ) && (string) $body['task_id'] !== $task_id ) {
			// News about an older job of this post: nothing to do.
			return self::state( $post_id );
		}
		$status  = isset( $body['status'] ) ? sanitize_key( (string) $body['status'] ) : '';
		$current = (string) get_post_meta( $post_id, self::META_STATUS, true );
		if ( ! in_array( $status, array_merge( self::PENDING, self::TERMINAL ), true ) ) {
			return new WP_Error( 'cogvideox_bad_status', __( 'The service sent an unknown job status.', 'cogvideox' ), array( 'status' => 502 ) );
		}
		// A terminal state is final: late "processing" news must not move it back.
		if ( in_array( $current, self::TERMINAL, true ) && $current !== $status ) {
			return self::state( $post_id );
		}
		update_post_meta( $post_id, self::META_STATUS, $status );
		if ( isset( $body['progress'] ) && is_numeric( $body['progress'] ) ) {
			update_post_meta( $post_id, self::META_PROGRESS, max( 0, min( 100, (int) $body['progress'] ) ) );
		}
		if ( isset( $body['stage'] ) && is_string( $body['stage'] ) ) {
			update_post_meta( $post_id, self::META_STAGE, sanitize_text_field( $body['stage'] ) );
		}
		update_post_meta( $post_id, self::META_UPDATED_AT, time() );

		if ( 'failed' === $status ) {
			$error = '';
			if ( isset( $body['error'] ) ) {
				$error = is_array( $body['error'] ) ? ( isset( $body['error']['message'] ) ? (string) $body['error']['message'] : '' ) : (string) $body['error'];
			}
			update_post_meta( $post_id, self::META_ERROR, sanitize_text_field( '' !== $error ? $error : __( 'The video could not be generated.', 'cogvideox' ) ) );
		}
		if ( 'completed' === $status ) {
			update_post_meta( $post_id, self::META_PROGRESS, 100 );
			$video_id = isset( $body['video_id'] ) ? sanitize_text_field( (string) $body['video_id'] ) : '';
			if ( '' === $video_id ) {
				$video_id = (string) get_post_meta( $post_id, self::META_VIDEO_ID, true );
			}
			if ( '' === $video_id ) {
				update_post_meta( $post_id, self::META_ERROR, __( 'The service finished the job but named no video.', 'cogvideox' ) );
				return self::state( $post_id );
			}
			update_post_meta( $post_id, self::META_VIDEO_ID, $video_id );
			$imported = CogVideoX_Importer::import( $post_id, $task_id, $video_id, $via );
			if ( is_wp_error( $imported ) ) {
				update_post_meta( $post_id, self::META_ERROR, sanitize_text_field( $imported->get_error_message() ) );
				return $imported;
			}
			delete_post_meta( $post_id, self::META_ERROR );
		}
		return self::state( $post_id );
	}

	/**
	 * Cancel the post's pending job.
	 *
	 * @param int $post_id Post id.
	 * @return array|WP_Error
	 */
	public static function cancel( $post_id ) {
		$task_id = (string) get_post_meta( $post_id, self::META_TASK_ID, true );
		$status  = (string) get_post_meta( $post_id, self::META_STATUS, true );
		if ( '' === $task_id || ! in_array( $status, self::PENDING, true ) ) {
			return new WP_Error( 'cogvideox_nothing_to_cancel', __( 'There is no running video job for this post.', 'cogvideox' ), array( 'status' => 409 ) );
		}
		$answer = CogVideoX_API_Client::from_settings()->cancel( $task_id );
		if ( is_wp_error( $answer ) ) {
			$http = $answer->get_error_data();
			// 409: the job had already finished; pick up its real state instead.
			if ( is_array( $http ) && isset( $http['http_status'] ) && 409 === $http['http_status'] ) {
				return self::sync( $post_id, 'editor' );
			}
			return $answer;
		}
		update_post_meta( $post_id, self::META_STATUS, isset( $answer['status'] ) && in_array( $answer['status'], self::TERMINAL, true ) ? sanitize_key( $answer['status'] ) : 'canceled' );
		update_post_meta( $post_id, self::META_UPDATED_AT, time() );
		return self::state( $post_id );
	}

	/**
	 * The imported video attachment, if any.
	 *
	 * @param int $post_id Post id.
	 * @return int
	 */
	public static function attachment_id( $post_id ) {
		$id = (int) get_post_meta( $post_id, self::META_ATTACHMENT_ID, true );
		return ( $id && get_post( $id ) ) ? $id : 0;
	}

	/**
	 * The post whose current job has this task id (0 when none).
	 *
	 * @param string $task_id Task id.
	 * @return int
	 */
	public static function find_post_by_task( $task_id ) {
		if ( '' === (string) $task_id ) {
			return 0;
		}
		$ids = get_posts(
			array(
				'post_type'        => 'any',
				'post_status'      => 'any',
				'meta_key'         => self::META_TASK_ID, // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_key
				'meta_value'       => (string) $task_id, // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_value
				'fields'           => 'ids',
				'posts_per_page'   => 1,
				'no_found_rows'    => true,
				'suppress_filters' => true,
			)
		);
		if ( ! $ids ) {
			// get_posts() with post_status "any" skips auto-drafts: new posts live there.
			global $wpdb;
			$id = (int) $wpdb->get_var( $wpdb->prepare( "SELECT post_id FROM {$wpdb->postmeta} WHERE meta_key = %s AND meta_value = %s ORDER BY meta_id DESC LIMIT 1", self::META_TASK_ID, (string) $task_id ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
			return $id;
		}
		return (int) $ids[0];
	}

	/**
	 * What the editor needs to know about the post's job.
	 *
	 * @param int $post_id Post id.
	 * @return array
	 */
	public static function state( $post_id ) {
		$attachment_id = self::attachment_id( $post_id );
		$poster_id     = (int) get_post_meta( $post_id, self::META_POSTER_ID, true );
		$params        = json_decode( (string) get_post_meta( $post_id, self::META_PARAMS, true ), true );
		$state         = array(
			'post_id'      => (int) $post_id,
			'task_id'      => (string) get_post_meta( $post_id, self::META_TASK_ID, true ),
			'status'       => (string) get_post_meta( $post_id, self::META_STATUS, true ),
			'progress'     => (int) get_post_meta( $post_id, self::META_PROGRESS, true ),
			'stage'        => (string) get_post_meta( $post_id, self::META_STAGE, true ),
			'error'        => (string) get_post_meta( $post_id, self::META_ERROR, true ),
			'prompt'       => (string) get_post_meta( $post_id, self::META_PROMPT, true ),
			'params'       => is_array( $params ) ? $params : null,
			'imported_via' => (string) get_post_meta( $post_id, self::META_IMPORTED_VIA, true ),
			'attachment'   => null,
			'featured'     => false,
		);
		if ( '' === $state['status'] && '' !== $state['task_id'] ) {
			// Started through generate_video_for_post() by older code: treat as queued.
			$state['status'] = 'queued';
		}
		if ( $attachment_id ) {
			$video_url  = wp_get_attachment_url( $attachment_id );
			$poster_url = $poster_id ? wp_get_attachment_url( $poster_id ) : '';
			$state['attachment'] = array(
				'id'         => $attachment_id,
				'url'        => $video_url,
				'mime_type'  => get_post_mime_type( $attachment_id ),
				'poster_id'  => $poster_id,
				'poster_url' => $poster_url ? $poster_url : '',
				'edit_url'   => get_edit_post_link( $attachment_id, 'raw' ),
				'shortcode'  => self::shortcode( $video_url, $poster_url ),
			);
			$state['featured'] = $poster_id && (int) get_post_thumbnail_id( $post_id ) === $poster_id;
		}
		return $state;
	}

	/**
	 * [video] shortcode for the classic editor.
	 *
	 * @param string $video_url  Video URL.
	 * @param string $poster_url Poster URL.
	 * @return string
	 */
	public static function shortcode( $video_url, $poster_url ) {
		$attrs = 'mp4="' . esc_url( $video_url ) . '"';
		if ( $poster_url ) {
			$attrs .= ' poster="' . esc_url( $poster_url ) . '"';
		}
		return '[video ' . $attrs . '][/video]';
	}
}
