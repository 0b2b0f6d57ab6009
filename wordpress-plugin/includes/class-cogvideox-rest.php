<?php
/**
 * The plugin's own REST routes under /wp-json/cogvideox/v1/. The editor's JavaScript talks
 * only to these (cookie auth + X-WP-Nonce); they call the service with the token server-side.
 *
 * @package CogVideoX
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * REST routes.
 */
class CogVideoX_REST {

	const NAMESPACE_V1 = 'cogvideox/v1';

	/**
	 * Hook into WordPress.
	 */
	public function register_hooks() {
		add_action( 'rest_api_init', array( $this, 'register_routes' ) );
	}

	/**
	 * Register the routes.
	 */
	public function register_routes() {
		$post_id_arg = array(
			'id' => array(
				'type'              => 'integer',
				'required'          => true,
				'sanitize_callback' => 'absint',
			),
		);

		register_rest_route(
			self::NAMESPACE_V1,
			'/posts/(?P<id>\d+)/generate',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'callback'            => array( $this, 'generate' ),
				'permission_callback' => array( $this, 'can_generate_for_post' ),
				'args'                => array_merge(
					$post_id_arg,
					array(
						'prompt'          => array(
							'type'              => 'string',
							'sanitize_callback' => 'sanitize_textarea_field',
							'default'           => '',
						),
						// Checked against the service's own limit in build_payload().
						'duration'        => array(
							'type'    => 'integer',
							'minimum' => 1,
						),
						'resolution'      => array(
							'type'              => 'string',
							'sanitize_callback' => 'sanitize_text_field',
						),
						// Both checked against the service's listed choices in build_payload().
						'fit'             => array(
							'type'              => 'string',
							'sanitize_callback' => 'sanitize_key',
						),
						'fps'             => array(
							'type'    => 'integer',
							'minimum' => 1,
						),
						'enhance_quality' => array( 'type' => 'boolean' ),
						'template'        => array(
							'type'              => 'string',
							'sanitize_callback' => 'sanitize_title',
						),
						// Animate the post's featured image (its file, sent as a data URL) with
						// the service's image-to-video model instead of generating from text.
						'featured_image'    => array(
							'type'    => 'boolean',
							'default' => false,
						),
						// The editor's featured image when it is not saved yet (the block
						// editor saves it with the post); must be one the user may see.
						'featured_image_id' => array(
							'type'    => 'integer',
							'minimum' => 0,
						),
					)
				),
			)
		);
		register_rest_route(
			self::NAMESPACE_V1,
			'/posts/(?P<id>\d+)/job',
			array(
				'methods'             => WP_REST_Server::READABLE,
				'callback'            => array( $this, 'job' ),
				'permission_callback' => array( $this, 'can_generate_for_post' ),
				'args'                => $post_id_arg,
			)
		);
		register_rest_route(
			self::NAMESPACE_V1,
			'/posts/(?P<id>\d+)/cancel',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'callback'            => array( $this, 'cancel' ),
				'permission_callback' => array( $this, 'can_generate_for_post' ),
				'args'                => $post_id_arg,
			)
		);
		register_rest_route(
			self::NAMESPACE_V1,
			'/posts/(?P<id>\d+)/featured',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'callback'            => array( $this, 'set_featured' ),
				'permission_callback' => array( $this, 'can_generate_for_post' ),
				'args'                => $post_id_arg,
			)
		);
		register_rest_route(
			self::NAMESPACE_V1,
			'/templates',
			array(
				'methods'             => WP_REST_Server::READABLE,
				'callback'            => array( $this, 'templates' ),
				'permission_callback' => array( $this, 'can_generate' ),
			)
		);
		register_rest_route(
			self::NAMESPACE_V1,
			'/limits',
			array(
				'methods'             => WP_REST_Server::READABLE,
				'callback'            => array( $this, 'limits' ),
				'permission_callback' => array( $this, 'can_generate' ),
			)
		);
		register_rest_route(
			self::NAMESPACE_V1,
			'/test-connection',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'callback'            => array( $this, 'test_connection' ),
				'permission_callback' => array( $this, 'can_manage_options' ),
			)
		);
		register_rest_route(
			self::NAMESPACE_V1,
			'/webhook',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'callback'            => array( 'CogVideoX_Webhook', 'handle' ),
				// Public on purpose: the service has no WordPress account. The handler
				// authenticates every message by its HMAC signature.
				'permission_callback' => '__return_true',
			)
		);
	}

	/* ------------------------------------------------------------------
	 * Permissions.
	 * ------------------------------------------------------------------ */

	/**
	 * The current user may generate videos (CogVideoX_Jobs::CAPABILITY) and edit this post.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function can_generate_for_post( WP_REST_Request $request ) {
		$allowed = $this->can_edit_post( $request );
		if ( true !== $allowed ) {
			return $allowed;
		}
		return current_user_can( CogVideoX_Jobs::CAPABILITY ) ? true : $this->forbidden();
	}

	/**
	 * The current user may generate videos at all.
	 *
	 * @return true|WP_Error
	 */
	public function can_generate() {
		return current_user_can( CogVideoX_Jobs::CAPABILITY ) ? true : $this->forbidden();
	}

	/**
	 * The current user may edit this post.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return true|WP_Error
	 */
	public function can_edit_post( WP_REST_Request $request ) {
		$post_id = (int) $request['id'];
		$post    = get_post( $post_id );
		if ( ! $post || 'attachment' === $post->post_type || 'revision' === $post->post_type ) {
			// Same answer for "missing" and "not yours" to anonymous callers.
			if ( ! is_user_logged_in() ) {
				return $this->forbidden();
			}
			return new WP_Error( 'cogvideox_no_post', __( 'No such post.', 'cogvideox' ), array( 'status' => 404 ) );
		}
		if ( ! current_user_can( 'edit_post', $post_id ) ) {
			return $this->forbidden();
		}
		return true;
	}

	/**
	 * The current user may edit posts at all.
	 *
	 * @return true|WP_Error
	 */
	public function can_edit_posts() {
		return current_user_can( 'edit_posts' ) ? true : $this->forbidden();
	}

	/**
	 * The current user manages the site's settings.
	 *
	 * @return true|WP_Error
	 */
	public function can_manage_options() {
		return current_user_can( 'manage_options' ) ? true : $this->forbidden();
	}

	/**
	 * 401 for anonymous callers, 403 for logged-in users without the capability.
	 *
	 * @return WP_Error
	 */
	private function forbidden() {
		return new WP_Error( 'rest_forbidden', __( 'Sorry, you are not allowed to do that.', 'cogvideox' ), array( 'status' => rest_authorization_required_code() ) );
	}

	/* ------------------------------------------------------------------
	 * Callbacks.
	 * ------------------------------------------------------------------ */

	/**
	 * Start a job for the post (the post itself is not saved).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function generate( WP_REST_Request $request ) {
		$post_id = (int) $request['id'];
		$input   = array(
			'prompt'   => (string) $request['prompt'],
			'template' => (string) $request['template'],
		);
		foreach ( array( 'duration', 'resolution', 'fit', 'fps', 'enhance_quality', 'featured_image_id' ) as $key ) {
			if ( null !== $request[ $key ] ) {
				$input[ $key ] = $request[ $key ];
			}
		}
		$input['featured_image'] = (bool) $request['featured_image'];
		$payload                 = CogVideoX_Jobs::build_payload( $post_id, $input );
		if ( is_wp_error( $payload ) ) {
			return $payload;
		}
		$state = CogVideoX_Jobs::start( $post_id, $payload );
		if ( is_wp_error( $state ) ) {
			return $state;
		}
		return new WP_REST_Response( $state, 201 );
	}

	/**
	 * The post's job state, refreshed from the service while it is pending.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function job( WP_REST_Request $request ) {
		$post_id = (int) $request['id'];
		$state   = CogVideoX_Jobs::sync( $post_id, 'editor' );
		if ( is_wp_error( $state ) ) {
			// Keep the editor's view alive; the next poll tries again.
			$fallback               = CogVideoX_Jobs::state( $post_id );
			$fallback['sync_error'] = $state->get_error_message();
			return new WP_REST_Response( $fallback, 200 );
		}
		return new WP_REST_Response( $state, 200 );
	}

	/**
	 * Cancel the post's job.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function cancel( WP_REST_Request $request ) {
		$state = CogVideoX_Jobs::cancel( (int) $request['id'] );
		return is_wp_error( $state ) ? $state : new WP_REST_Response( $state, 200 );
	}

	/**
	 * Use the imported poster as the post's featured image.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function set_featured( WP_REST_Request $request ) {
		$post_id   = (int) $request['id'];
		$poster_id = (int) get_post_meta( $post_id, CogVideoX_Jobs::META_POSTER_ID, true );
		if ( ! $poster_id || ! wp_attachment_is_image( $poster_id ) ) {
			return new WP_Error( 'cogvideox_no_poster', __( 'This post has no imported poster image yet.', 'cogvideox' ), array( 'status' => 409 ) );
		}
		set_post_thumbnail( $post_id, $poster_id );
		// _wp_post_thumbnail_html() lives in the admin includes, which REST requests do not load.
		require_once ABSPATH . 'wp-admin/includes/post.php';
		require_once ABSPATH . 'wp-admin/includes/media.php';
		$state                   = CogVideoX_Jobs::state( $post_id );
		$state['thumbnail_html'] = _wp_post_thumbnail_html( $poster_id, $post_id );
		return new WP_REST_Response( $state, 200 );
	}

	/**
	 * Templates the token's user may use.
	 *
	 * @return WP_REST_Response|WP_Error
	 */
	public function templates() {
		if ( ! CogVideoX_Settings::is_configured() ) {
			return new WP_REST_Response( array(), 200 );
		}
		$templates = CogVideoX_API_Client::from_settings()->cached_templates();
		return is_wp_error( $templates ) ? $templates : new WP_REST_Response( $templates, 200 );
	}

	/**
	 * What the service accepts (durations, sizes), for the editor's fields.
	 *
	 * @return WP_REST_Response
	 */
	public function limits() {
		return new WP_REST_Response( CogVideoX_Settings::limits(), 200 );
	}

	/**
	 * Settings -> Test connection: GET /api/system/status with the saved URL and token.
	 *
	 * @return WP_REST_Response|WP_Error
	 */
	public function test_connection() {
		$status = CogVideoX_API_Client::from_settings()->system_status();
		if ( is_wp_error( $status ) ) {
			return $status;
		}
		// A working connection is also the moment to refresh what the service accepts.
		delete_transient( CogVideoX_API_Client::LIMITS_TRANSIENT );
		$summary            = self::summarize_system_status( $status );
		$summary['warning'] = CogVideoX_Settings::insecure_transport_warning( CogVideoX_Settings::api_url() );
		return new WP_REST_Response( $summary, 200 );
	}

	/**
	 * Pick model, device and queue depth out of a system status body.
	 *
	 * @param array $status Body of GET /api/system/status.
	 * @return array{ok:bool,model:string,device:string,queue_depth:int|null,workers:int|null}
	 */
	public static function summarize_system_status( array $status ) {
		$pick = static function ( $value, array $keys ) {
			if ( is_scalar( $value ) ) {
				return (string) $value;
			}
			if ( is_array( $value ) ) {
				foreach ( $keys as $key ) {
					if ( isset( $value[ $key ] ) && is_scalar( $value[ $key ] ) ) {
						return (string) $value[ $key ];
					}
				}
			}
			return '';
		};
		$model  = isset( $status['model'] ) ? $pick( $status['model'], array( 'name', 'id', 'model_id' ) ) : '';
		$device = isset( $status['device'] ) ? $pick( $status['device'], array( 'name', 'type', 'device' ) ) : '';
		if ( '' === $device && isset( $status['device'] ) && wp_is_numeric_array( $status['device'] ) ) {
			$device = implode( ', ', array_filter( array_map( 'strval', array_filter( $status['device'], 'is_scalar' ) ) ) );
		}
		if ( '' === $device && isset( $status['workers']['list'] ) && is_array( $status['workers']['list'] ) ) {
			foreach ( $status['workers']['list'] as $worker ) {
				if ( is_array( $worker ) && ! empty( $worker['device'] ) && is_scalar( $worker['device'] ) ) {
					$device = (string) $worker['device'];
					break;
				}
			}
		}
		$depth  = null;
		if ( isset( $status['queue_depth'] ) && is_numeric( $status['queue_depth'] ) ) {
			$depth = (int) $status['queue_depth'];
		} elseif ( isset( $status['queue'] ) && is_array( $status['queue'] ) ) {
			foreach ( array( 'depth', 'queued', 'size', 'length' ) as $key ) {
				if ( isset( $status['queue'][ $key ] ) && is_numeric( $status['queue'][ $key ] ) ) {
					$depth = (int) $status['queue'][ $key ];
					break;
				}
			}
		}
		$workers = null;
		if ( isset( $status['workers'] ) ) {
			if ( is_numeric( $status['workers'] ) ) {
				$workers = (int) $status['workers'];
			} elseif ( is_array( $status['workers'] ) ) {
				foreach ( array( 'alive', 'count', 'live' ) as $key ) {
					if ( isset( $status['workers'][ $key ] ) && is_numeric( $status['workers'][ $key ] ) ) {
						$workers = (int) $status['workers'][ $key ];
						break;
					}
				}
				if ( null === $workers && wp_is_numeric_array( $status['workers'] ) ) {
					$workers = count( $status['workers'] );
				}
			}
		}
		return array(
			'ok'          => true,
			'model'       => sanitize_text_field( $model ),
			'device'      => sanitize_text_field( $device ),
			'queue_depth' => $depth,
			'workers'     => $workers,
		);
	}
}
