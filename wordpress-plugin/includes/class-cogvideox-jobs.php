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
	const META_PREVIEW_ID      = '_cogvideox_preview_id';
	const META_IMPORTED_VIA    = '_cogvideox_imported_via';
	const META_GENERATE_ON_SAVE = '_cogvideox_generate_on_save';
	const META_UPDATED_AT      = '_cogvideox_updated_at';
	const META_REQUEST         = '_cogvideox_request';
	const META_IMPORT_STATE    = '_cogvideox_import_state';
	const META_IMPORT_ATTEMPTS = '_cogvideox_import_attempts';
	const META_IMPORT_NEXT     = '_cogvideox_import_next';
	const META_NOTICED_VIA     = '_cogvideox_noticed_via';
	const META_HISTORY         = '_cogvideox_jobs';

	/**
	 * The capability that lets a user start, follow and import generated videos. Granted by
	 * default to everyone who has upload_files (the videos end up in the Media Library); see
	 * grant_capability().
	 */
	const CAPABILITY = 'cogvideox_generate_videos';

	/** "Generate when I save" accepted, the request to the service not sent yet. */
	const REQUESTED = 'requested';

	/** Jobs kept in a post's history (the sidebar's list). */
	const HISTORY_SIZE = 10;

	/** States in which the service is still working. */
	const PENDING = array( 'queued', 'processing' );

	/** States the service will not leave. */
	const TERMINAL = array( 'completed', 'failed', 'canceled' );

	/**
	 * Payload key naming the attachment whose file becomes the request's `image` (a data URL)
	 * only when the request is sent (send_start()): post meta, the saved request and the
	 * filters never hold the image's bytes. Never sent itself.
	 */
	const PAYLOAD_IMAGE = '_cogvideox_image_attachment';

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
			self::META_PREVIEW_ID,
			self::META_IMPORTED_VIA,
			self::META_GENERATE_ON_SAVE,
			self::META_UPDATED_AT,
			self::META_REQUEST,
			self::META_IMPORT_STATE,
			self::META_IMPORT_ATTEMPTS,
			self::META_IMPORT_NEXT,
			self::META_NOTICED_VIA,
			self::META_HISTORY,
		);
	}

	/* ------------------------------------------------------------------
	 * Who may generate.
	 * ------------------------------------------------------------------ */

	/**
	 * user_has_cap filter: CAPABILITY follows a base capability (upload_files unless the
	 * cogvideox_generate_base_capability filter says otherwise), unless a role or user was
	 * given or denied CAPABILITY explicitly.
	 *
	 * @param bool[] $allcaps The user's capabilities.
	 * @param array  $caps    Primitive capabilities asked for.
	 * @return bool[]
	 */
	public static function grant_capability( $allcaps, $caps ) {
		if ( ! in_array( self::CAPABILITY, (array) $caps, true ) || array_key_exists( self::CAPABILITY, $allcaps ) ) {
			return $allcaps;
		}
		/**
		 * Filters the capability that carries the right to generate videos.
		 *
		 * @param string $capability Default 'upload_files'.
		 */
		$base                        = (string) apply_filters( 'cogvideox_generate_base_capability', 'upload_files' );
		$allcaps[ self::CAPABILITY ] = '' !== $base && ! empty( $allcaps[ $base ] );
		return $allcaps;
	}

	/**
	 * Whether the current user may generate videos (for this post, when one is given: they
	 * must also be able to edit it).
	 *
	 * @param int $post_id Post id, or 0.
	 * @return bool
	 */
	public static function user_can_generate( $post_id = 0 ) {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			return false;
		}
		return $post_id ? current_user_can( 'edit_post', (int) $post_id ) : true;
	}

	/**
	 * Build the POST /api/generate body from editor input, filling gaps from the settings.
	 *
	 * @param int   $post_id Post id.
	 * @param array $input   prompt, duration, resolution, fit, fps, enhance_quality, template;
	 *                       featured_image (true: animate the post's featured image, see
	 *                       build_featured_image_payload()) and featured_image_id.
	 * @return array|WP_Error
	 */
	public static function build_payload( $post_id, array $input ) {
		$defaults = CogVideoX_Settings::defaults();
		$prompt   = isset( $input['prompt'] ) ? sanitize_textarea_field( (string) $input['prompt'] ) : '';
		$template = isset( $input['template'] ) ? sanitize_title( (string) $input['template'] ) : '';
		if ( ! empty( $input['featured_image'] ) ) {
			if ( '' !== $template ) {
				return new WP_Error( 'cogvideox_template_and_image', __( 'Animate the featured image with a prompt, not a template: pick one or the other.', 'cogvideox' ), array( 'status' => 400 ) );
			}
			return self::build_featured_image_payload( $post_id, $prompt, $input );
		}
		if ( '' !== $template ) {
			return self::build_template_payload( $post_id, $template, $prompt, $input );
		}
		if ( '' === trim( $prompt ) ) {
			$prompt = self::prompt_from_post( $post_id );
		}
		if ( '' === trim( $prompt ) ) {
			return new WP_Error( 'cogvideox_empty_prompt', __( 'Write a prompt (or give the post a title) first.', 'cogvideox' ), array( 'status' => 400 ) );
		}
		$duration = self::check_duration( $input );
		if ( is_wp_error( $duration ) ) {
			return $duration;
		}
		$payload = array(
			'prompt'   => mb_substr( $prompt, 0, 2000 ),
			'duration' => null !== $duration ? $duration : CogVideoX_Settings::sanitize_duration( $defaults['duration'] ),
		);
		$resolution = isset( $input['resolution'] ) ? CogVideoX_Settings::sanitize_resolution( $input['resolution'] ) : $defaults['resolution'];
		if ( isset( $input['resolution'] ) && '' !== trim( (string) $input['resolution'] ) && '' === $resolution ) {
			return new WP_Error( 'cogvideox_bad_resolution', CogVideoX_Settings::resolution_rule(), array( 'status' => 400 ) );
		}
		if ( '' !== $resolution ) {
			$payload['resolution'] = $resolution;
		}
		$payload = self::with_delivery( $payload, $input, $defaults, $post_id );
		if ( is_wp_error( $payload ) ) {
			return $payload;
		}
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
	 * The fit and frame rate the editor chose (empty: the service's defaults, not sent),
	 * checked against the choices the service lists (GET /api/models, cached in limits()).
	 *
	 * @param array      $input  Editor input.
	 * @param array|null $limits The model's limits (null: the text model's).
	 * @return array|WP_Error `fit` and `fps` to send.
	 */
	public static function check_fit_fps( array $input, $limits = null ) {
		$limits = is_array( $limits ) ? $limits : CogVideoX_Settings::limits();
		$out    = array();
		if ( isset( $input['fit'] ) && '' !== (string) $input['fit'] ) {
			$fit = sanitize_key( (string) $input['fit'] );
			if ( ! in_array( $fit, $limits['fits'], true ) ) {
				return new WP_Error(
					'cogvideox_bad_fit',
					/* translators: %s: the fits the service lists */
					sprintf( __( 'Fit must be one of: %s (the service\'s choices).', 'cogvideox' ), implode( ', ', $limits['fits'] ) ),
					array( 'status' => 400 )
				);
			}
			$out['fit'] = $fit;
		}
		if ( isset( $input['fps'] ) && '' !== (string) $input['fps'] ) {
			if ( ! is_numeric( $input['fps'] ) || ! in_array( (int) $input['fps'], $limits['fps_choices'], true ) ) {
				return new WP_Error(
					'cogvideox_bad_fps',
					/* translators: %s: the frame rates the service lists */
					sprintf( __( 'Frame rate must be one of: %s fps (the service\'s choices).', 'cogvideox' ), implode( ', ', $limits['fps_choices'] ) ),
					array( 'status' => 400 )
				);
			}
			$out['fps'] = (int) $input['fps'];
		}
		return $out;
	}

	/**
	 * The duration the editor asked for, checked against the service's limit (null: none asked).
	 *
	 * @param array    $input Editor input.
	 * @param int|null $max   The model's longest duration (null: the text model's).
	 * @return int|null|WP_Error
	 */
	public static function check_duration( array $input, $max = null ) {
		if ( ! isset( $input['duration'] ) || '' === (string) $input['duration'] ) {
			return null;
		}
		$max = null !== $max ? max( 1, (int) $max ) : CogVideoX_Settings::max_duration();
		if ( ! is_numeric( $input['duration'] ) || (int) $input['duration'] < 1 || (int) $input['duration'] > $max ) {
			return new WP_Error(
				'cogvideox_bad_duration',
				/* translators: %d: longest duration the service accepts */
				sprintf( __( 'Duration must be a whole number of seconds from 1 to %d (the service\'s limit).', 'cogvideox' ), $max ),
				array( 'status' => 400 )
			);
		}
		return (int) $input['duration'];
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
		$duration = self::check_duration( $input );
		if ( is_wp_error( $duration ) ) {
			return $duration;
		}
		if ( null !== $duration ) {
			$payload['duration'] = $duration;
		}
		if ( isset( $input['resolution'] ) && '' !== trim( (string) $input['resolution'] ) ) {
			$resolution = CogVideoX_Settings::sanitize_resolution( $input['resolution'] );
			if ( '' === $resolution ) {
				return new WP_Error( 'cogvideox_bad_resolution', CogVideoX_Settings::resolution_rule(), array( 'status' => 400 ) );
			}
			$payload['resolution'] = $resolution;
		}
		$delivery = self::check_fit_fps( $input );
		if ( is_wp_error( $delivery ) ) {
			return $delivery;
		}
		$payload = array_merge( $payload, $delivery );
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
	 * The body that animates the post's featured image: the service's image-to-video model
	 * (CogVideoX_Settings::image_model()), the prompt (the editor's, else the post's title and
	 * excerpt), and the image itself, its FILE read from the uploads folder when the request is
	 * sent (PAYLOAD_IMAGE; see with_image()), never a URL the service would have to reach.
	 * Duration, resolution, fit and frame rate are checked against that model's limits; a
	 * resolution is sent only when the editor asked for one (else the model's default).
	 *
	 * @param int    $post_id Post id.
	 * @param string $prompt  The editor's prompt, or ''.
	 * @param array  $input   Editor input (featured_image_id: the editor's current featured
	 *                        image when it differs from the saved one).
	 * @return array|WP_Error
	 */
	public static function build_featured_image_payload( $post_id, $prompt, array $input ) {
		$model = CogVideoX_Settings::image_model();
		if ( null === $model ) {
			return new WP_Error( 'cogvideox_no_image_model', __( 'CogVideoX Studio serves no image-to-video model, so the featured image cannot be animated.', 'cogvideox' ), array( 'status' => 409 ) );
		}
		$image_id = self::featured_image_id( $post_id, $input );
		if ( is_wp_error( $image_id ) ) {
			return $image_id;
		}
		$image = self::check_image_file( $image_id );
		if ( is_wp_error( $image ) ) {
			return $image;
		}
		if ( '' === trim( $prompt ) ) {
			$prompt = self::prompt_from_post( $post_id );
		}
		if ( '' === trim( $prompt ) ) {
			return new WP_Error( 'cogvideox_empty_prompt', __( 'Write a prompt (or give the post a title) first.', 'cogvideox' ), array( 'status' => 400 ) );
		}
		$duration = self::check_duration( $input, $model['max_duration'] );
		if ( is_wp_error( $duration ) ) {
			return $duration;
		}
		$defaults = CogVideoX_Settings::defaults();
		$payload  = array(
			'model'    => $model['model'],
			'prompt'   => mb_substr( $prompt, 0, 2000 ),
			'duration' => null !== $duration ? $duration : max( 1, min( (int) $model['max_duration'], (int) $defaults['duration'] ) ),
		);
		if ( isset( $input['resolution'] ) && '' !== trim( (string) $input['resolution'] ) ) {
			$resolution = CogVideoX_Settings::sanitize_resolution( $input['resolution'], $model );
			if ( '' === $resolution ) {
				return new WP_Error( 'cogvideox_bad_resolution', CogVideoX_Settings::resolution_rule( $model ), array( 'status' => 400 ) );
			}
			$payload['resolution'] = $resolution;
		}
		$payload = self::with_delivery( $payload, $input, $defaults, $post_id, $model );
		if ( is_wp_error( $payload ) ) {
			return $payload;
		}
		$payload['metadata']['wp_featured_image'] = (int) $image_id;
		$payload[ self::PAYLOAD_IMAGE ]           = (int) $image_id;
		/** This filter is documented in build_payload(). The image's bytes are added when the request is sent. */
		return apply_filters( 'cogvideox_generate_payload', $payload, $post_id, $input );
	}

	/**
	 * The attachment to animate: the post's featured image, or the one the editor has chosen
	 * but not saved yet (featured_image_id), which the current user must be able to see.
	 *
	 * @param int   $post_id Post id.
	 * @param array $input   Editor input.
	 * @return int|WP_Error
	 */
	public static function featured_image_id( $post_id, array $input ) {
		$saved  = (int) get_post_thumbnail_id( $post_id );
		$chosen = isset( $input['featured_image_id'] ) ? absint( $input['featured_image_id'] ) : 0;
		if ( $chosen && $chosen !== $saved ) {
			$attachment = get_post( $chosen );
			if ( ! $attachment || 'attachment' !== $attachment->post_type || ! current_user_can( 'read_post', $chosen ) ) {
				return new WP_Error( 'cogvideox_bad_featured_image', __( 'That image is not one you may use. Pick another featured image.', 'cogvideox' ), array( 'status' => 403 ) );
			}
			return $chosen;
		}
		if ( ! $saved || ! get_post( $saved ) ) {
			return new WP_Error( 'cogvideox_no_featured_image', __( 'This post has no featured image to animate. Set one first.', 'cogvideox' ), array( 'status' => 409 ) );
		}
		return $saved;
	}

	/**
	 * An image attachment's file, checked as the service will check it: there, PNG, JPEG or
	 * WebP by its bytes (not its name), within the size and smallest side the service takes.
	 *
	 * @param int $attachment_id Attachment id.
	 * @return array{id:int,file:string,mime:string,bytes:int}|WP_Error
	 */
	public static function check_image_file( $attachment_id ) {
		$file = get_attached_file( $attachment_id );
		if ( ! $file || ! is_file( $file ) || ! is_readable( $file ) ) {
			return new WP_Error( 'cogvideox_image_missing', __( 'The featured image\'s file is missing from the uploads folder. Upload it again.', 'cogvideox' ), array( 'status' => 409 ) );
		}
		$mime = wp_get_image_mime( $file );
		if ( ! $mime ) {
			$mime = (string) get_post_mime_type( $attachment_id );
		}
		if ( ! in_array( $mime, CogVideoX_API_Client::IMAGE_TYPES, true ) ) {
			$kind = preg_match( '#^image/([a-z0-9.+-]+)$#i', (string) $mime, $m ) ? strtoupper( $m[1] ) : __( 'not an image', 'cogvideox' );
			return new WP_Error(
				'cogvideox_image_type',
				sprintf(
					/* translators: %s: the image's type, e.g. GIF */
					__( 'The featured image is %s; CogVideoX Studio animates PNG, JPEG or WebP images. Set a PNG, JPEG or WebP featured image and try again.', 'cogvideox' ),
					$kind
				),
				array( 'status' => 415 )
			);
		}
		$bytes = (int) filesize( $file );
		$max   = CogVideoX_Settings::max_image_bytes();
		if ( $bytes > $max ) {
			return new WP_Error(
				'cogvideox_image_too_large',
				sprintf(
					/* translators: 1: the image's size, 2: the largest size the service takes */
					__( 'The featured image is %1$s; CogVideoX Studio takes images up to %2$s. Use a smaller featured image.', 'cogvideox' ),
					size_format( $bytes, 1 ),
					size_format( $max )
				),
				array( 'status' => 413 )
			);
		}
		$size = wp_getimagesize( $file );
		if ( is_array( $size ) && min( (int) $size[0], (int) $size[1] ) < CogVideoX_API_Client::MIN_IMAGE_SIDE ) {
			return new WP_Error(
				'cogvideox_image_too_small',
				sprintf(
					/* translators: 1: width, 2: height, 3: smallest side in pixels */
					__( 'The featured image is %1$dx%2$d pixels; each side must be at least %3$d pixels.', 'cogvideox' ),
					(int) $size[0],
					(int) $size[1],
					CogVideoX_API_Client::MIN_IMAGE_SIDE
				),
				array( 'status' => 400 )
			);
		}
		return array(
			'id'    => (int) $attachment_id,
			'file'  => $file,
			'mime'  => $mime,
			'bytes' => $bytes,
		);
	}

	/**
	 * The body as sent: PAYLOAD_IMAGE replaced by the attachment's file as a base64 data URL
	 * (checked again: it may have changed since the request was accepted).
	 *
	 * @param array $payload Body with PAYLOAD_IMAGE, or without (returned as it is).
	 * @return array|WP_Error
	 */
	public static function with_image( array $payload ) {
		if ( ! isset( $payload[ self::PAYLOAD_IMAGE ] ) ) {
			return $payload;
		}
		$image = self::check_image_file( (int) $payload[ self::PAYLOAD_IMAGE ] );
		unset( $payload[ self::PAYLOAD_IMAGE ] );
		if ( is_wp_error( $image ) ) {
			return $image;
		}
		// Up to 20 MB of image is about 27 MB of base64 and its JSON: more than a REST
		// request's default memory limit.
		wp_raise_memory_limit( 'cogvideox' );
		$bytes = file_get_contents( $image['file'] ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents -- a local upload.
		if ( false === $bytes || strlen( $bytes ) !== $image['bytes'] ) {
			return new WP_Error( 'cogvideox_image_missing', __( 'The featured image\'s file could not be read.', 'cogvideox' ), array( 'status' => 409 ) );
		}
		$payload['image'] = 'data:' . $image['mime'] . ';base64,' . base64_encode( $bytes ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- the service's data URL.
		return $payload;
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
	 * Whether the post has a job the service is working on (or one about to be requested).
	 *
	 * @param int $post_id Post id.
	 * @return bool
	 */
	public static function is_busy( $post_id ) {
		$status = (string) get_post_meta( $post_id, self::META_STATUS, true );
		return in_array( $status, self::PENDING, true ) || self::REQUESTED === $status;
	}

	/**
	 * Start a job for a post now: the one way every door (Generate button, block, bulk
	 * action, WP-CLI, "generate when I save" via its background event) asks the service.
	 * POST /api/generate with an Idempotency-Key, no redirects, the service's own error text.
	 *
	 * @param int         $post_id         Post id.
	 * @param array       $payload         Body for POST /api/generate (see build_payload()).
	 * @param string|null $idempotency_key Key for the request (null: a fresh one, one per click).
	 * @return array|WP_Error The post's job state.
	 */
	public static function start( $post_id, array $payload, $idempotency_key = null ) {
		if ( self::is_busy( $post_id ) ) {
			return new WP_Error( 'cogvideox_busy', __( 'A video is already being generated for this post. Cancel it first.', 'cogvideox' ), array( 'status' => 409 ) );
		}
		return self::send_start( $post_id, $payload, $idempotency_key ? $idempotency_key : wp_generate_uuid4() );
	}

	/**
	 * POST /api/generate and record the answer (no busy check: callers did it).
	 *
	 * @param int    $post_id         Post id.
	 * @param array  $payload         Body.
	 * @param string $idempotency_key Key.
	 * @return array|WP_Error
	 */
	private static function send_start( $post_id, array $payload, $idempotency_key ) {
		$body = self::with_image( $payload );
		if ( is_wp_error( $body ) ) {
			return $body;
		}
		$answer = CogVideoX_API_Client::from_settings()->generate( $body, $idempotency_key );
		unset( $body );
		if ( is_wp_error( $answer ) ) {
			return $answer;
		}
		self::remember_started( $post_id, (string) $answer['task_id'], $payload, $answer );
		return self::state( $post_id );
	}

	/**
	 * "Generate when I save": accept the request now, send it from a background event, so
	 * saving never waits for the service. The request keeps one Idempotency-Key (derived from
	 * the post, the body and the previous job), so its retries, the editor's poll and WP-Cron
	 * racing each other create one job on the service.
	 *
	 * @param int   $post_id Post id.
	 * @param array $payload Body for POST /api/generate.
	 * @return array|WP_Error The post's job state.
	 */
	public static function request_start( $post_id, array $payload ) {
		if ( self::is_busy( $post_id ) ) {
			return new WP_Error( 'cogvideox_busy', __( 'A video is already being generated for this post. Cancel it first.', 'cogvideox' ), array( 'status' => 409 ) );
		}
		$key = 'wp-' . md5( home_url( '/' ) . '|' . (int) $post_id . '|' . wp_json_encode( $payload ) . '|' . (string) get_post_meta( $post_id, self::META_TASK_ID, true ) );
		update_post_meta(
			$post_id,
			self::META_REQUEST,
			wp_slash(
				wp_json_encode(
					array(
						'payload'  => $payload,
						'key'      => $key,
						'attempts' => 0,
					)
				)
			)
		);
		update_post_meta( $post_id, self::META_STATUS, self::REQUESTED );
		update_post_meta( $post_id, self::META_PROGRESS, 0 );
		update_post_meta( $post_id, self::META_UPDATED_AT, time() );
		delete_post_meta( $post_id, self::META_ERROR );
		CogVideoX_Background::schedule_start( $post_id );
		return self::state( $post_id );
	}

	/**
	 * Send a request accepted by request_start() (from its background event or the editor's
	 * poll, whichever comes first). Failures the service may recover from are retried with
	 * backoff; a refusal is final and its text is shown.
	 *
	 * @param int $post_id Post id.
	 * @return array|WP_Error The post's job state.
	 */
	public static function run_requested_start( $post_id ) {
		if ( self::REQUESTED !== (string) get_post_meta( $post_id, self::META_STATUS, true ) ) {
			return self::state( $post_id );
		}
		$request = json_decode( (string) get_post_meta( $post_id, self::META_REQUEST, true ), true );
		if ( ! is_array( $request ) || empty( $request['payload'] ) || empty( $request['key'] ) ) {
			update_post_meta( $post_id, self::META_STATUS, 'failed' );
			update_post_meta( $post_id, self::META_ERROR, __( 'The saved video request was lost. Generate again.', 'cogvideox' ) );
			return self::state( $post_id );
		}
		$lock = CogVideoX_Importer::LOCK_PREFIX . 'start_' . (int) $post_id;
		if ( ! CogVideoX_Importer::acquire_lock( $lock, 60 ) ) {
			return self::state( $post_id ); // Another request is sending it right now.
		}
		try {
			$state = self::send_start( $post_id, (array) $request['payload'], (string) $request['key'] );
			if ( ! is_wp_error( $state ) ) {
				delete_post_meta( $post_id, self::META_REQUEST );
				return $state;
			}
			$data      = $state->get_error_data();
			$http      = is_array( $data ) && isset( $data['http_status'] ) ? (int) $data['http_status'] : 0;
			$retryable = 0 === $http || 429 === $http || $http >= 500;
			$attempts  = (int) $request['attempts'] + 1;
			if ( $retryable && $attempts < CogVideoX_Background::MAX_ATTEMPTS ) {
				$request['attempts'] = $attempts;
				update_post_meta( $post_id, self::META_REQUEST, wp_slash( wp_json_encode( $request ) ) );
				$delay = CogVideoX_Background::backoff( $attempts );
				update_post_meta(
					$post_id,
					self::META_ERROR,
					sanitize_text_field(
						/* translators: 1: error message, 2: seconds */
						sprintf( __( '%1$s Trying again in %2$d s.', 'cogvideox' ), $state->get_error_message(), $delay )
					)
				);
				CogVideoX_Background::schedule_start( $post_id, time() + $delay );
				return self::state( $post_id );
			}
			delete_post_meta( $post_id, self::META_REQUEST );
			update_post_meta( $post_id, self::META_STATUS, 'failed' );
			update_post_meta( $post_id, self::META_ERROR, sanitize_text_field( $state->get_error_message() ) );
			update_post_meta( $post_id, self::META_UPDATED_AT, time() );
			return self::state( $post_id );
		} finally {
			CogVideoX_Importer::release_lock( $lock );
		}
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
		unset( $recorded['image'], $recorded[ self::PAYLOAD_IMAGE ] );
		if ( isset( $payload[ self::PAYLOAD_IMAGE ] ) ) {
			// An animated featured image: which attachment, and what the service found in it.
			$recorded['featured_image'] = (int) $payload[ self::PAYLOAD_IMAGE ];
			$recorded['image']          = self::image_description( $answer );
		}
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
		// The post's video is the current job's: an older one stays in the Media Library
		// (and in the content, where it was inserted) but is no longer "the" result.
		delete_post_meta( $post_id, self::META_ATTACHMENT_ID );
		delete_post_meta( $post_id, self::META_POSTER_ID );
		delete_post_meta( $post_id, self::META_PREVIEW_ID );
		delete_post_meta( $post_id, self::META_IMPORTED_VIA );
		delete_post_meta( $post_id, self::META_IMPORT_STATE );
		delete_post_meta( $post_id, self::META_IMPORT_ATTEMPTS );
		delete_post_meta( $post_id, self::META_IMPORT_NEXT );
		self::remember_in_history( $post_id, (string) $task_id, isset( $answer['status'] ) ? sanitize_key( $answer['status'] ) : 'queued', $recorded );
		CogVideoX_Cron::ensure_scheduled();
	}

	/**
	 * The service's description of the input image (params.image of its answer): digest,
	 * format, size, source, the size it was fitted to. Scalars only.
	 *
	 * @param array $answer Service answer.
	 * @return array
	 */
	private static function image_description( array $answer ) {
		$image = isset( $answer['params']['image'] ) && is_array( $answer['params']['image'] ) ? $answer['params']['image'] : array();
		$out   = array();
		foreach ( array( 'sha256', 'format', 'width', 'height', 'bytes', 'source', 'fitted_to', 'fit' ) as $key ) {
			if ( isset( $image[ $key ] ) && is_scalar( $image[ $key ] ) ) {
				$out[ $key ] = is_int( $image[ $key ] ) ? $image[ $key ] : sanitize_text_field( (string) $image[ $key ] );
			}
		}
		return $out;
	}

	/**
	 * Keep the post's last jobs (newest first) for the editor's sidebar.
	 *
	 * @param int    $post_id Post id.
	 * @param string $task_id Task id.
	 * @param string $status  Status.
	 * @param array  $params  Parameters sent (only on a new job).
	 */
	public static function remember_in_history( $post_id, $task_id, $status, ?array $params = null ) {
		$history = self::history( $post_id );
		$found   = false;
		foreach ( $history as &$entry ) {
			if ( $entry['task_id'] === $task_id ) {
				$entry['status'] = $status;
				$found           = true;
			}
		}
		unset( $entry );
		if ( ! $found && null !== $params ) {
			array_unshift(
				$history,
				array(
					'task_id'        => $task_id,
					'status'         => $status,
					'prompt'         => isset( $params['prompt'] ) ? mb_substr( sanitize_text_field( (string) $params['prompt'] ), 0, 200 ) : '',
					'template'       => isset( $params['template'] ) ? sanitize_title( (string) $params['template'] ) : '',
					// The featured image it animated (0: a text job).
					'featured_image' => isset( $params['featured_image'] ) ? (int) $params['featured_image'] : 0,
					'started'        => time(),
				)
			);
		}
		if ( $found || null !== $params ) {
			update_post_meta( $post_id, self::META_HISTORY, wp_slash( wp_json_encode( array_slice( $history, 0, self::HISTORY_SIZE ) ) ) );
		}
	}

	/**
	 * The post's last jobs, newest first.
	 *
	 * @param int $post_id Post id.
	 * @return array[]
	 */
	public static function history( $post_id ) {
		$history = json_decode( (string) get_post_meta( $post_id, self::META_HISTORY, true ), true );
		return is_array( $history ) ? array_values( array_filter( $history, 'is_array' ) ) : array();
	}

	/**
	 * Ask the service for the job's state and apply it.
	 *
	 * @param int    $post_id Post id.
	 * @param string $via     'editor', 'cron' or 'webhook' (recorded on import).
	 * @return array|WP_Error The post's job state.
	 */
	public static function sync( $post_id, $via = 'editor' ) {
		$status = (string) get_post_meta( $post_id, self::META_STATUS, true );
		if ( self::REQUESTED === $status ) {
			return self::run_requested_start( $post_id );
		}
		$task_id = (string) get_post_meta( $post_id, self::META_TASK_ID, true );
		if ( '' === $task_id ) {
			return self::state( $post_id );
		}
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
		if ( $current !== $status ) {
			self::remember_in_history( $post_id, $task_id, $status );
		}

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
			if ( ! self::attachment_id( $post_id ) ) {
				// The download runs in a background event of its own, never inside this
				// webhook, poll or cron request.
				CogVideoX_Background::queue_import( $post_id, $task_id, $via );
			}
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
		if ( self::REQUESTED === $status ) {
			// Not sent yet: withdraw the request.
			wp_clear_scheduled_hook( CogVideoX_Background::START_HOOK, array( (int) $post_id ) );
			delete_post_meta( $post_id, self::META_REQUEST );
			update_post_meta( $post_id, self::META_STATUS, 'canceled' );
			update_post_meta( $post_id, self::META_UPDATED_AT, time() );
			return self::state( $post_id );
		}
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
			'import'       => self::import_state( $post_id ),
			'jobs'         => self::history( $post_id ),
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
	 * Where the Media Library import stands: none, scheduled, running, retrying, failed, done.
	 *
	 * @param int $post_id Post id.
	 * @return array{state:string,attempts:int,next_attempt:int|null}
	 */
	public static function import_state( $post_id ) {
		$state = (string) get_post_meta( $post_id, self::META_IMPORT_STATE, true );
		if ( self::attachment_id( $post_id ) ) {
			$state = 'done';
		}
		$next = (int) get_post_meta( $post_id, self::META_IMPORT_NEXT, true );
		return array(
			'state'        => '' !== $state ? $state : 'none',
			'attempts'     => (int) get_post_meta( $post_id, self::META_IMPORT_ATTEMPTS, true ),
			'next_attempt' => $next ? $next : null,
		);
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

	/**
	 * The parts of a generate body every kind of job has: fit and frame rate (checked against
	 * the model's limits), quality, the webhook URL and the post's metadata.
	 *
	 * @param array      $payload  Body so far.
	 * @param array      $input    The editor's input.
	 * @param array      $defaults The site's defaults.
	 * @param int        $post_id  Post.
	 * @param array|null $model    The model's limits (null: the default model's).
	 * @return array|WP_Error
	 */
	private static function with_delivery( array $payload, array $input, array $defaults, $post_id, $model = null ) {
		$delivery = self::check_fit_fps( $input, $model );
		if ( is_wp_error( $delivery ) ) {
			return $delivery;
		}
		$payload                    = array_merge( $payload, $delivery );
		$payload['enhance_quality'] = isset( $input['enhance_quality'] ) ? rest_sanitize_boolean( $input['enhance_quality'] ) : (bool) $defaults['enhance_quality'];
		$callback                   = self::callback_url();
		if ( $callback ) {
			$payload['callback_url'] = $callback;
		}
		$payload['metadata'] = array(
			'source'     => 'wordpress',
			'wp_post_id' => (int) $post_id,
			'wp_site'    => home_url( '/' ),
		);
		return $payload;
	}
}
