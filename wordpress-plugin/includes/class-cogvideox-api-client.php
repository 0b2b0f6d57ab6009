<?php
/**
 * HTTP client for the CogVideoX Studio API (v1). Runs on the server only: the token never
 * reaches the browser.
 *
 * @package CogVideoX
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Thin wrapper over wp_remote_* that turns every failure into a WP_Error with a readable,
 * secret-free message.
 */
class CogVideoX_API_Client {

	/** Seconds for ordinary API calls. */
	const TIMEOUT = 20;

	/** Seconds for downloading a finished video. */
	const DOWNLOAD_TIMEOUT = 300;

	/** Redirects a download may take, each one within the service's origin. */
	const MAX_DOWNLOAD_REDIRECTS = 3;

	/** Seconds for calls made while an admin page renders. */
	const QUICK_TIMEOUT = 5;

	/** Transient holding the template list. */
	const TEMPLATES_TRANSIENT = 'cogvideox_templates';

	/** Transient remembering that the template list could not be loaded. */
	const TEMPLATES_ERROR_TRANSIENT = 'cogvideox_templates_error';

	/** Transient holding the service's limits (see limits()). */
	const LIMITS_TRANSIENT = 'cogvideox_limits';

	/**
	 * What CogVideoX-2b accepts: used until the service has said what it accepts, and while it
	 * cannot be reached.
	 */
	const FALLBACK_LIMITS = array(
		'model'             => '',
		'max_duration'      => 6,
		'fps'               => 8,
		'native_resolution' => '720x480',
		'size_multiple'     => 16,
		'min_side'          => 64,
		'max_side'          => 1360,
		'max_pixels'        => 1044480,
		// The delivered frame rates and fits the service lists; none known without it (the
		// editor then offers only the service's defaults).
		'fps_choices'       => array(),
		'fits'              => array(),
		'default_fit'       => '',
		// The image-to-video models the service serves (GET /api/models), each with its own
		// limits (see image_model_limits()); none known without the listing, and then the
		// editor offers no "Animate the featured image".
		'image_models'      => array(),
		'source'            => 'fallback',
	);

	/**
	 * The largest input image the service takes by default (COGVIDEO_MAX_IMAGE_BYTES: 20 MB),
	 * for a service whose GET /api/models does not list image_limits (an older one). See
	 * CogVideoX_Settings::max_image_bytes().
	 */
	const MAX_IMAGE_BYTES = 20971520;

	/** Input image types the service takes (it sniffs the bytes: PNG, JPEG, WebP). */
	const IMAGE_TYPES = array( 'image/png', 'image/jpeg', 'image/webp' );

	/** The smallest side of an input image the service takes by default (COGVIDEO_MIN_IMAGE_SIDE). */
	const MIN_IMAGE_SIDE = 16;

	/**
	 * Base URL without trailing slash.
	 *
	 * @var string
	 */
	private $base_url;

	/**
	 * Bearer token.
	 *
	 * @var string
	 */
	private $token;

	/**
	 * Constructor.
	 *
	 * @param string $base_url Base URL of the service.
	 * @param string $token    API token.
	 */
	public function __construct( $base_url, $token ) {
		$this->base_url = untrailingslashit( (string) $base_url );
		$this->token    = (string) $token;
	}

	/**
	 * A client for the saved settings.
	 *
	 * @return self
	 */
	public static function from_settings() {
		return new self( CogVideoX_Settings::api_url(), CogVideoX_Settings::api_token() );
	}

	/**
	 * The base URL this client talks to.
	 *
	 * @return string
	 */
	public function base_url() {
		return $this->base_url;
	}

	/**
	 * POST /api/generate.
	 *
	 * @param array       $params          Request body.
	 * @param string|null $idempotency_key Optional Idempotency-Key header.
	 * @return array|WP_Error Decoded body (task_id, status, ...).
	 */
	public function generate( array $params, $idempotency_key = null ) {
		$headers = array();
		if ( $idempotency_key ) {
			$headers['Idempotency-Key'] = $idempotency_key;
		}
		$body = $this->request( 'POST', '/api/generate', $params, $headers );
		if ( ! is_wp_error( $body ) && empty( $body['task_id'] ) ) {
			return new WP_Error( 'cogvideox_bad_response', __( 'The service accepted the request but sent no task id.', 'cogvideox' ) );
		}
		return $body;
	}

	/**
	 * GET /api/status/{task_id}.
	 *
	 * @param string $task_id Task id.
	 * @return array|WP_Error
	 */
	public function status( $task_id ) {
		return $this->request( 'GET', '/api/status/' . rawurlencode( (string) $task_id ) );
	}

	/**
	 * POST /api/cancel/{task_id}.
	 *
	 * @param string $task_id Task id.
	 * @return array|WP_Error
	 */
	public function cancel( $task_id ) {
		return $this->request( 'POST', '/api/cancel/' . rawurlencode( (string) $task_id ), array() );
	}

	/**
	 * GET /api/system/status.
	 *
	 * @return array|WP_Error
	 */
	public function system_status() {
		return $this->request( 'GET', '/api/system/status' );
	}

	/**
	 * GET /api/templates, normalised to a list of {slug, name, prompt, variables}.
	 *
	 * @return array|WP_Error
	 */
	public function templates() {
		$body = $this->request( 'GET', '/api/templates', null, array(), self::QUICK_TIMEOUT );
		if ( is_wp_error( $body ) ) {
			return $body;
		}
		$items = $body;
		foreach ( array( 'results', 'templates', 'items', 'data' ) as $key ) {
			if ( isset( $body[ $key ] ) && is_array( $body[ $key ] ) ) {
				$items = $body[ $key ];
				break;
			}
		}
		$out = array();
		foreach ( (array) $items as $item ) {
			if ( ! is_array( $item ) || empty( $item['slug'] ) ) {
				continue;
			}
			$prompt = '';
			foreach ( array( 'prompt', 'prompt_template', 'template', 'text' ) as $key ) {
				if ( isset( $item[ $key ] ) && is_string( $item[ $key ] ) ) {
					$prompt = $item[ $key ];
					break;
				}
			}
			$out[] = array(
				'slug'      => sanitize_title( (string) $item['slug'] ),
				'name'      => sanitize_text_field( (string) ( isset( $item['name'] ) ? $item['name'] : ( isset( $item['title'] ) ? $item['title'] : $item['slug'] ) ) ),
				'prompt'    => sanitize_textarea_field( $prompt ),
				'variables' => isset( $item['variables'] ) && is_array( $item['variables'] ) ? $item['variables'] : array(),
			);
		}
		return $out;
	}

	/**
	 * Templates cached for five minutes (errors are not cached).
	 *
	 * @return array|WP_Error
	 */
	public function cached_templates() {
		if ( '' === $this->base_url || '' === $this->token ) {
			return array();
		}
		$cached = get_transient( self::TEMPLATES_TRANSIENT );
		if ( is_array( $cached ) ) {
			return $cached;
		}
		// A service that is down must not slow every editor page load: remember the failure briefly.
		$failed = get_transient( self::TEMPLATES_ERROR_TRANSIENT );
		if ( is_string( $failed ) && '' !== $failed ) {
			return new WP_Error( 'cogvideox_templates_unavailable', $failed );
		}
		$templates = $this->templates();
		if ( is_wp_error( $templates ) ) {
			set_transient( self::TEMPLATES_ERROR_TRANSIENT, $templates->get_error_message(), MINUTE_IN_SECONDS );
		} else {
			set_transient( self::TEMPLATES_TRANSIENT, $templates, 5 * MINUTE_IN_SECONDS );
		}
		return $templates;
	}

	/**
	 * What the service accepts: longest duration, size bounds and its default size. From
	 * GET /api/models (the model listing) where the service has it, else from the model
	 * section of GET /api/system/status (longest duration and native size; the size bounds
	 * then default to CogVideoX-2b's). Cached for an hour (a minute after a failure, when
	 * the fallback - CogVideoX-2b's numbers - is used meanwhile).
	 *
	 * fps_choices (the delivered frame rates), fits and image_models (the image-to-video
	 * models, each with the same keys) come from the model listing only.
	 *
	 * @return array{model:string,max_duration:int,fps:int,native_resolution:string,size_multiple:int,min_side:int,max_side:int,max_pixels:int,fps_choices:int[],fits:string[],default_fit:string,image_models:array[],source:string}
	 */
	public function limits() {
		$cached = get_transient( self::LIMITS_TRANSIENT );
		// A cache written before fits, frame rates and image models were read is read again.
		if ( is_array( $cached ) && isset( $cached['max_duration'], $cached['fits'], $cached['image_models'] ) ) {
			return $cached;
		}
		if ( '' === $this->base_url || '' === $this->token ) {
			return self::FALLBACK_LIMITS;
		}
		$limits = null;
		$models = $this->request( 'GET', '/api/models', null, array(), self::QUICK_TIMEOUT );
		if ( ! is_wp_error( $models ) ) {
			$limits = self::limits_from_models( $models );
		}
		if ( null === $limits ) {
			$status = $this->request( 'GET', '/api/system/status', null, array(), self::QUICK_TIMEOUT );
			$limits = is_wp_error( $status ) ? null : self::limits_from_status( $status );
		}
		if ( null === $limits ) {
			set_transient( self::LIMITS_TRANSIENT, self::FALLBACK_LIMITS, MINUTE_IN_SECONDS );
			return self::FALLBACK_LIMITS;
		}
		set_transient( self::LIMITS_TRANSIENT, $limits, HOUR_IN_SECONDS );
		return $limits;
	}

	/**
	 * Limits from a GET /api/models body: its text-to-video model (the first one otherwise),
	 * with the image-to-video models it serves under image_models (their own limits each).
	 *
	 * @param array $body Body.
	 * @return array|null
	 */
	public static function limits_from_models( array $body ) {
		$list = isset( $body['models'] ) && is_array( $body['models'] ) ? array_values( array_filter( $body['models'], 'is_array' ) ) : array();
		if ( ! $list ) {
			return null;
		}
		$model = $list[0];
		foreach ( $list as $candidate ) {
			if ( isset( $candidate['task'] ) && 'text-to-video' === $candidate['task'] ) {
				$model = $candidate;
				break;
			}
		}
		$limits = self::limits_from( self::fields_from_listing( $model ), 'models' );
		if ( null === $limits ) {
			return null;
		}
		foreach ( $list as $candidate ) {
			if ( ! self::takes_image( $candidate ) ) {
				continue;
			}
			$image = self::limits_from( self::fields_from_listing( $candidate ), 'models' );
			if ( null !== $image && '' !== $image['model'] ) {
				unset( $image['image_models'], $image['source'] );
				// The largest input image the service takes (its image_limits), when it says.
				if ( isset( $candidate['image_limits']['max_bytes'] ) && is_int( $candidate['image_limits']['max_bytes'] ) ) {
					$image['max_image_bytes'] = $candidate['image_limits']['max_bytes'];
				}
				$limits['image_models'][] = $image;
			}
		}
		return $limits;
	}

	/**
	 * Whether a model of the listing is an image-to-video model.
	 *
	 * @param array $model One entry of GET /api/models.
	 * @return bool
	 */
	private static function takes_image( array $model ) {
		if ( isset( $model['takes_image'] ) ) {
			return true === $model['takes_image'];
		}
		return isset( $model['task'] ) && 'image-to-video' === $model['task'];
	}

	/**
	 * One entry of GET /api/models in the names limits_from() reads.
	 *
	 * @param array $model Entry.
	 * @return array
	 */
	private static function fields_from_listing( array $model ) {
		$bounds = isset( $model['resolution_limits'] ) && is_array( $model['resolution_limits'] ) ? $model['resolution_limits'] : array();
		return array(
			'id'                => isset( $model['id'] ) ? $model['id'] : '',
			'max_duration'      => isset( $model['max_duration'] ) ? $model['max_duration'] : null,
			'fps'               => isset( $model['native_fps'] ) ? $model['native_fps'] : null,
			'native_resolution' => isset( $model['default_resolution'] ) ? $model['default_resolution'] : null,
			'size_multiple'     => isset( $bounds['multiple'] ) ? $bounds['multiple'] : null,
			'min_side'          => isset( $bounds['min_side'] ) ? $bounds['min_side'] : null,
			'max_side'          => isset( $bounds['max_side'] ) ? $bounds['max_side'] : null,
			'max_pixels'        => isset( $bounds['max_pixels'] ) ? $bounds['max_pixels'] : null,
			'fps_choices'       => isset( $model['fps'] ) ? $model['fps'] : null,
			'fits'              => isset( $model['fits'] ) ? $model['fits'] : null,
			'default_fit'       => isset( $model['default_fit'] ) ? $model['default_fit'] : null,
		);
	}

	/**
	 * Limits from a GET /api/system/status body (its model section).
	 *
	 * @param array $body Body.
	 * @return array|null
	 */
	public static function limits_from_status( array $body ) {
		if ( ! isset( $body['model'] ) || ! is_array( $body['model'] ) ) {
			return null;
		}
		return self::limits_from( $body['model'], 'status' );
	}

	/**
	 * The fallback, overridden by every number the service gave.
	 *
	 * @param array  $model  id, max_duration, fps, native_resolution, size_multiple, min_side, max_side, max_pixels.
	 * @param string $source Where they came from.
	 * @return array|null Null when the service named no longest duration.
	 */
	private static function limits_from( array $model, $source ) {
		if ( ! isset( $model['max_duration'] ) || ! is_numeric( $model['max_duration'] ) || (int) $model['max_duration'] < 1 ) {
			return null;
		}
		$limits = self::FALLBACK_LIMITS;
		foreach ( array( 'max_duration', 'fps', 'size_multiple', 'min_side', 'max_side', 'max_pixels' ) as $key ) {
			if ( isset( $model[ $key ] ) && is_numeric( $model[ $key ] ) && (int) $model[ $key ] > 0 ) {
				$limits[ $key ] = (int) $model[ $key ];
			}
		}
		if ( isset( $model['native_resolution'] ) && is_string( $model['native_resolution'] ) && preg_match( '/^\d+x\d+$/', $model['native_resolution'] ) ) {
			$limits['native_resolution'] = $model['native_resolution'];
		}
		if ( isset( $model['fps_choices'] ) && is_array( $model['fps_choices'] ) ) {
			$limits['fps_choices'] = array_values( array_map( 'intval', array_filter( $model['fps_choices'], static function ( $rate ) {
				return is_numeric( $rate ) && (int) $rate > 0;
			} ) ) );
		}
		if ( isset( $model['fits'] ) && is_array( $model['fits'] ) ) {
			$limits['fits'] = array_values( array_filter( $model['fits'], static function ( $fit ) {
				return is_string( $fit ) && preg_match( '/^[a-z_]{1,20}$/', $fit );
			} ) );
		}
		if ( isset( $model['default_fit'] ) && in_array( $model['default_fit'], $limits['fits'], true ) ) {
			$limits['default_fit'] = $model['default_fit'];
		}
		$limits['model']  = isset( $model['id'] ) && is_scalar( $model['id'] ) ? sanitize_text_field( (string) $model['id'] ) : '';
		$limits['source'] = $source;
		return $limits;
	}

	/**
	 * The URL of a video (or its poster) on the service.
	 *
	 * @param string $video_id Video id.
	 * @param string $variant  '' for the MP4, 'thumbnail' for the poster JPEG.
	 * @return string
	 */
	public function download_url( $video_id, $variant = '' ) {
		$url = $this->base_url . '/api/download/' . rawurlencode( (string) $video_id );
		if ( '' !== $variant ) {
			$url = add_query_arg( 'variant', rawurlencode( $variant ), $url );
		}
		return $url;
	}

	/**
	 * Download a video (or poster) into a temporary file.
	 *
	 * Uses wp_safe_remote_get, so WordPress's protection against requests to internal hosts
	 * stays on for every other URL; only the configured API host (and its port) is allowed.
	 * The token goes only to the configured service origin (scheme, host and port): redirects
	 * are followed by hand, and one that leaves that origin is refused, not followed.
	 *
	 * @param string $video_id Video id.
	 * @param string $variant  '' or 'thumbnail'.
	 * @return string|WP_Error Path of the temporary file.
	 */
	public function download_to_temp( $video_id, $variant = '' ) {
		if ( ! function_exists( 'wp_tempnam' ) ) {
			require_once ABSPATH . 'wp-admin/includes/file.php';
		}
		$url = $this->download_url( $video_id, $variant );
		$tmp = wp_tempnam( 'cogvideox-' . sanitize_file_name( (string) $video_id ) . ( $variant ? '-' . $variant : '' ) );
		if ( ! $tmp ) {
			return new WP_Error( 'cogvideox_temp_file', __( 'Could not create a temporary file for the download.', 'cogvideox' ) );
		}

		for ( $hop = 0; ; $hop++ ) {
			if ( ! $this->is_service_origin( $url ) ) {
				wp_delete_file( $tmp );
				return new WP_Error(
					'cogvideox_download_redirect',
					sprintf(
						/* translators: %s: URL the service redirected to */
						__( 'The service redirected the download to %s, outside the configured API URL; not followed.', 'cogvideox' ),
						esc_url_raw( $this->scrub( $url ) )
					)
				);
			}
			$this->allow_api_host();
			$response = wp_safe_remote_get(
				$url,
				array(
					'timeout'     => self::DOWNLOAD_TIMEOUT,
					'stream'      => true,
					'filename'    => $tmp,
					'headers'     => $this->auth_headers(),
					'redirection' => 0,
				)
			);
			$this->disallow_api_host();
			if ( is_wp_error( $response ) ) {
				break;
			}
			$code     = (int) wp_remote_retrieve_response_code( $response );
			$location = (string) wp_remote_retrieve_header( $response, 'location' );
			if ( ! in_array( $code, array( 301, 302, 303, 307, 308 ), true ) || '' === $location ) {
				break;
			}
			if ( $hop >= self::MAX_DOWNLOAD_REDIRECTS ) {
				wp_delete_file( $tmp );
				return new WP_Error( 'cogvideox_download_redirect', __( 'The service redirected the download too many times.', 'cogvideox' ) );
			}
			$url = WP_Http::make_absolute_url( $location, $url );
		}

		if ( is_wp_error( $response ) ) {
			wp_delete_file( $tmp );
			return new WP_Error( 'cogvideox_download_failed', sprintf( /* translators: %s: error message */ __( 'Download failed: %s', 'cogvideox' ), $this->scrub( $response->get_error_message() ) ) );
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		if ( 200 !== $code ) {
			$body = file_exists( $tmp ) ? (string) file_get_contents( $tmp, false, null, 0, 4096 ) : ''; // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents
			wp_delete_file( $tmp );
			return $this->error_from_body( $code, $body );
		}
		if ( ! file_exists( $tmp ) || 0 === filesize( $tmp ) ) {
			wp_delete_file( $tmp );
			return new WP_Error( 'cogvideox_download_empty', __( 'The service sent an empty file.', 'cogvideox' ) );
		}
		return $tmp;
	}

	/**
	 * Whether a URL is on the configured service's origin: same scheme, host and port (a
	 * missing port is the scheme's default). Only such URLs get the token.
	 *
	 * @param string $url URL.
	 * @return bool
	 */
	public function is_service_origin( $url ) {
		$origin = function ( $parts ) {
			if ( ! is_array( $parts ) || empty( $parts['scheme'] ) || empty( $parts['host'] ) ) {
				return null;
			}
			$scheme = strtolower( $parts['scheme'] );
			$port   = isset( $parts['port'] ) ? (int) $parts['port'] : ( 'https' === $scheme ? 443 : 80 );
			return array( $scheme, strtolower( trim( $parts['host'], '.' ) ), $port );
		};
		$service = $origin( wp_parse_url( $this->base_url ) );
		return null !== $service && $service === $origin( wp_parse_url( (string) $url ) );
	}

	/**
	 * Let wp_safe_remote_get reach the configured API host (loopback/private address and
	 * non-standard port included). Scoped: the callbacks answer for that host only.
	 */
	public function allow_api_host() {
		add_filter( 'http_request_host_is_external', array( $this, 'filter_host_is_external' ), 10, 3 );
		add_filter( 'http_allowed_safe_ports', array( $this, 'filter_safe_ports' ), 10, 3 );
	}

	/**
	 * Undo allow_api_host().
	 */
	public function disallow_api_host() {
		remove_filter( 'http_request_host_is_external', array( $this, 'filter_host_is_external' ), 10 );
		remove_filter( 'http_allowed_safe_ports', array( $this, 'filter_safe_ports' ), 10 );
	}

	/**
	 * Filter callback: true only for the API host.
	 *
	 * @param bool   $external Current answer.
	 * @param string $host     Host being requested.
	 * @param string $url      URL being requested.
	 * @return bool
	 */
	public function filter_host_is_external( $external, $host, $url = '' ) {
		$api = wp_parse_url( $this->base_url );
		if ( ! empty( $api['host'] ) && strtolower( trim( $api['host'], '.' ) ) === strtolower( trim( (string) $host, '.' ) ) ) {
			return true;
		}
		return $external;
	}

	/**
	 * Filter callback: adds the API port for the API host only.
	 *
	 * @param int[]  $ports Allowed ports.
	 * @param string $host  Host being requested.
	 * @param string $url   URL being requested.
	 * @return int[]
	 */
	public function filter_safe_ports( $ports, $host = '', $url = '' ) {
		$api = wp_parse_url( $this->base_url );
		if ( ! empty( $api['host'] ) && ! empty( $api['port'] ) && strtolower( $api['host'] ) === strtolower( (string) $host ) ) {
			$ports   = (array) $ports;
			$ports[] = (int) $api['port'];
		}
		return $ports;
	}

	/**
	 * Authorization header.
	 *
	 * @return array
	 */
	private function auth_headers() {
		return array(
			'Authorization' => 'Bearer ' . $this->token,
			'Accept'        => 'application/json',
		);
	}

	/**
	 * One API call.
	 *
	 * @param string     $method  HTTP method.
	 * @param string     $path    Path starting with /api/.
	 * @param array|null $body    JSON body (null: none).
	 * @param array      $headers Extra headers.
	 * @param int        $timeout Seconds.
	 * @return array|WP_Error Decoded JSON object.
	 */
	public function request( $method, $path, $body = null, array $headers = array(), $timeout = self::TIMEOUT ) {
		if ( '' === $this->base_url ) {
			return new WP_Error( 'cogvideox_not_configured', __( 'The CogVideoX API URL is not set (Settings -> CogVideoX).', 'cogvideox' ), array( 'status' => 503 ) );
		}
		if ( '' === $this->token ) {
			return new WP_Error( 'cogvideox_not_configured', __( 'The CogVideoX API token is not set (Settings -> CogVideoX).', 'cogvideox' ), array( 'status' => 503 ) );
		}
		$args = array(
			'method'      => $method,
			'timeout'     => (int) $timeout,
			'redirection' => 0,
			'headers'     => array_merge( $this->auth_headers(), $headers ),
		);
		if ( null !== $body ) {
			$args['headers']['Content-Type'] = 'application/json';
			$args['body']                    = wp_json_encode( empty( $body ) ? new stdClass() : $body );
		}
		$response = wp_remote_request( $this->base_url . $path, $args );
		if ( is_wp_error( $response ) ) {
			return new WP_Error(
				'cogvideox_unreachable',
				sprintf(
					/* translators: 1: service URL, 2: error message */
					__( 'Could not reach CogVideoX Studio at %1$s: %2$s', 'cogvideox' ),
					$this->base_url,
					$this->scrub( $response->get_error_message() )
				),
				array( 'status' => 502 )
			);
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		$raw  = (string) wp_remote_retrieve_body( $response );
		if ( $code < 200 || $code >= 300 ) {
			return $this->error_from_body( $code, $raw );
		}
		$decoded = json_decode( $raw, true );
		if ( ! is_array( $decoded ) ) {
			return new WP_Error( 'cogvideox_bad_response', __( 'The service answered with something that is not JSON. Is the API URL right?', 'cogvideox' ), array( 'status' => 502 ) );
		}
		return $decoded;
	}

	/**
	 * Turn an error answer ({"error": {"code", "message", "fields"}}) into a WP_Error.
	 *
	 * @param int    $code HTTP status.
	 * @param string $raw  Body.
	 * @return WP_Error
	 */
	private function error_from_body( $code, $raw ) {
		$decoded = json_decode( (string) $raw, true );
		$err     = ( is_array( $decoded ) && isset( $decoded['error'] ) && is_array( $decoded['error'] ) ) ? $decoded['error'] : array();
		$api     = isset( $err['code'] ) ? sanitize_key( (string) $err['code'] ) : 'http_' . $code;
		if ( 401 === $code ) {
			$message = __( 'The service rejected the API token (401). Check the token in Settings -> CogVideoX.', 'cogvideox' );
		} elseif ( isset( $err['message'] ) && is_string( $err['message'] ) ) {
			$message = sanitize_text_field( $err['message'] );
		} else {
			/* translators: %d: HTTP status code */
			$message = sprintf( __( 'The service answered HTTP %d.', 'cogvideox' ), $code );
		}
		if ( ! empty( $err['fields'] ) && is_array( $err['fields'] ) ) {
			$parts = array();
			foreach ( $err['fields'] as $field => $problem ) {
				$parts[] = sanitize_key( (string) $field ) . ': ' . sanitize_text_field( is_array( $problem ) ? implode( ' ', array_map( 'strval', $problem ) ) : (string) $problem );
			}
			$message .= ' (' . implode( '; ', $parts ) . ')';
		}
		return new WP_Error(
			'cogvideox_' . $api,
			$this->scrub( $message ),
			array(
				// 401/403 from the service are this site's configuration problem, not the
				// editor's: answer them as a bad gateway so the browser does not treat the
				// editor's own session as invalid.
				'status'      => in_array( $code, array( 400, 404, 409, 413, 422, 429 ), true ) ? $code : 502,
				'http_status' => $code,
			)
		);
	}

	/**
	 * Remove the token from any text that may be shown or logged.
	 *
	 * @param string $text Text.
	 * @return string
	 */
	private function scrub( $text ) {
		$text = (string) $text;
		if ( strlen( $this->token ) >= 4 ) {
			$text = str_replace( $this->token, '[token]', $text );
		}
		return $text;
	}
}
