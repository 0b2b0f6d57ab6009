<?php
/**
 * Settings -> CogVideoX: where the service lives, how to authenticate, generation defaults.
 *
 * Option names follow the original integration class (cogvideox_api_url, cogvideox_api_token)
 * so sites that used it keep their configuration.
 *
 * @package CogVideoX
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Settings registration, sanitizing and the settings page.
 */
class CogVideoX_Settings {

	const OPTION_API_URL        = 'cogvideox_api_url';
	const OPTION_API_TOKEN      = 'cogvideox_api_token';
	const OPTION_WEBHOOK_SECRET = 'cogvideox_webhook_secret';
	const OPTION_DEFAULTS       = 'cogvideox_defaults';
	const GROUP                 = 'cogvideox';
	const PAGE                  = 'cogvideox';

	/** Options that hold secrets: never autoloaded (see keep_secrets_out_of_autoload()). */
	const SECRET_OPTIONS = array( self::OPTION_API_TOKEN, self::OPTION_WEBHOOK_SECRET );

	/**
	 * Names of every option the plugin stores (uninstall removes them).
	 *
	 * @return string[]
	 */
	public static function option_names() {
		return array(
			self::OPTION_API_URL,
			self::OPTION_API_TOKEN,
			self::OPTION_WEBHOOK_SECRET,
			self::OPTION_DEFAULTS,
			'cogvideox_db_version',
		);
	}

	/**
	 * Hook into WordPress.
	 */
	public function register_hooks() {
		// Options are registered on init so their sanitizers run for every update_option()
		// (REST, WP-CLI, code), not only on the settings screen.
		add_action( 'init', array( $this, 'register_settings' ) );
		add_action( 'admin_init', array( $this, 'register_fields' ) );
		add_action( 'admin_enqueue_scripts', array( $this, 'enqueue_assets' ) );
		add_filter( 'plugin_action_links_' . plugin_basename( COGVIDEOX_PLUGIN_FILE ), array( $this, 'action_links' ) );
		foreach ( self::SECRET_OPTIONS as $option ) {
			add_action( 'add_option_' . $option, array( __CLASS__, 'keep_secrets_out_of_autoload' ) );
			add_action( 'update_option_' . $option, array( __CLASS__, 'keep_secrets_out_of_autoload' ) );
		}
		foreach ( array( self::OPTION_API_URL, self::OPTION_API_TOKEN ) as $option ) {
			add_action( 'add_option_' . $option, array( __CLASS__, 'forget_service_caches' ) );
			add_action( 'update_option_' . $option, array( __CLASS__, 'forget_service_caches' ) );
		}
		add_action( 'admin_init', array( __CLASS__, 'upgrade' ) );
	}

	/**
	 * Secrets are read only when the service is called: keep them out of the options loaded
	 * on every request (update_option() autoloads new options, and WordPress 6.1 has no
	 * per-option default for that).
	 */
	public static function keep_secrets_out_of_autoload() {
		global $wpdb;
		$placeholders = implode( ', ', array_fill( 0, count( self::SECRET_OPTIONS ), '%s' ) );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$changed = $wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->options} SET autoload = 'no' WHERE autoload <> 'no' AND option_name IN ($placeholders)", self::SECRET_OPTIONS ) );
		if ( $changed ) {
			wp_cache_delete( 'alloptions', 'options' );
		}
	}

	/**
	 * Another service or account: what was cached about the old one no longer holds.
	 */
	public static function forget_service_caches() {
		delete_transient( CogVideoX_API_Client::LIMITS_TRANSIENT );
		delete_transient( CogVideoX_API_Client::TEMPLATES_TRANSIENT );
		delete_transient( CogVideoX_API_Client::TEMPLATES_ERROR_TRANSIENT );
	}

	/**
	 * One-time steps for sites upgrading from an older version.
	 */
	public static function upgrade() {
		if ( (string) get_option( 'cogvideox_db_version' ) === COGVIDEOX_VERSION ) {
			return;
		}
		self::keep_secrets_out_of_autoload();
		update_option( 'cogvideox_db_version', COGVIDEOX_VERSION, false );
	}

	/**
	 * The service's limits (cached; see CogVideoX_API_Client::limits()).
	 *
	 * @return array
	 */
	public static function limits() {
		return CogVideoX_API_Client::from_settings()->limits();
	}

	/**
	 * The image-to-video model "Animate the featured image" uses: the first one the service
	 * lists (GET /api/models, cached in limits()), with its own limits; null when it serves
	 * none (then the editor offers no Animate action).
	 *
	 * @return array|null model, max_duration, native_resolution, fits, fps_choices, ... of that model.
	 */
	public static function image_model() {
		$models = self::limits()['image_models'];
		/**
		 * Filters the image-to-video model used to animate featured images.
		 *
		 * @param array|null $model  The first listed image-to-video model's limits (null: none).
		 * @param array[]    $models Every image-to-video model the service lists.
		 */
		$model = apply_filters( 'cogvideox_image_model', $models ? $models[0] : null, $models );
		return is_array( $model ) && ! empty( $model['model'] ) ? $model : null;
	}

	/**
	 * The largest featured image the plugin sends, in bytes: what the service's model listing
	 * says its image model takes (image_limits.max_bytes), else the service's default limit;
	 * the cogvideox_max_image_bytes filter may change it.
	 *
	 * @return int
	 */
	public static function max_image_bytes() {
		$model = self::image_model();
		$bytes = is_array( $model ) && isset( $model['max_image_bytes'] ) ? (int) $model['max_image_bytes'] : CogVideoX_API_Client::MAX_IMAGE_BYTES;
		/**
		 * Filters the largest input image sent to the service, in bytes (default: what the
		 * service lists, else 20 MB, the service's default COGVIDEO_MAX_IMAGE_BYTES).
		 *
		 * @param int $bytes Bytes.
		 */
		return max( 1, (int) apply_filters( 'cogvideox_max_image_bytes', $bytes ) );
	}

	/**
	 * Longest duration the service accepts, in seconds.
	 *
	 * @return int
	 */
	public static function max_duration() {
		return max( 1, (int) self::limits()['max_duration'] );
	}

	/**
	 * The resolution rule in words, with the service's numbers.
	 *
	 * @param array|null $limits A model's limits (null: the text model's).
	 * @return string
	 */
	public static function resolution_rule( $limits = null ) {
		$l = is_array( $limits ) ? $limits : self::limits();
		return sprintf(
			/* translators: 1: multiple, 2: smallest side, 3: largest side, 4: native size */
			__( 'Resolution must look like 720x480: width x height in multiples of %1$d, each side from %2$d to %3$d pixels (the service\'s limits; its native size is %4$s).', 'cogvideox' ),
			(int) $l['size_multiple'],
			(int) $l['min_side'],
			(int) $l['max_side'],
			$l['native_resolution']
		);
	}

	/**
	 * A warning when the token would travel unencrypted: http:// to a host that is not this
	 * machine ('' when there is nothing to warn about).
	 *
	 * @param string $url API URL.
	 * @return string
	 */
	public static function insecure_transport_warning( $url ) {
		$parts = wp_parse_url( (string) $url );
		if ( ! is_array( $parts ) || empty( $parts['host'] ) || 'http' !== strtolower( (string) ( isset( $parts['scheme'] ) ? $parts['scheme'] : '' ) ) ) {
			return '';
		}
		$host = strtolower( trim( $parts['host'], '[]' ) );
		if ( 'localhost' === $host || '::1' === $host || preg_match( '/^127\.\d+\.\d+\.\d+$/', $host ) || '.localhost' === substr( $host, -10 ) ) {
			return '';
		}
		return sprintf(
			/* translators: %s: host name */
			__( 'The API URL uses plain http:// to %s: the API token and every prompt cross the network unencrypted. Use https:// unless that network is private to you.', 'cogvideox' ),
			$host
		);
	}

	/* ------------------------------------------------------------------
	 * Effective configuration.
	 * ------------------------------------------------------------------ */

	/**
	 * The service base URL, without a trailing slash ('' when unset).
	 *
	 * @return string
	 */
	public static function api_url() {
		if ( defined( 'COGVIDEOX_API_URL' ) && COGVIDEOX_API_URL ) {
			return untrailingslashit( (string) COGVIDEOX_API_URL );
		}
		return untrailingslashit( (string) get_option( self::OPTION_API_URL, '' ) );
	}

	/**
	 * The API token; a COGVIDEOX_API_TOKEN constant (wp-config.php) wins over the option.
	 *
	 * @return string
	 */
	public static function api_token() {
		if ( self::token_from_constant() ) {
			return (string) COGVIDEOX_API_TOKEN;
		}
		return (string) get_option( self::OPTION_API_TOKEN, '' );
	}

	/**
	 * Whether the token comes from wp-config.php.
	 *
	 * @return bool
	 */
	public static function token_from_constant() {
		return defined( 'COGVIDEOX_API_TOKEN' ) && '' !== (string) COGVIDEOX_API_TOKEN;
	}

	/**
	 * The shared secret that signs webhooks; COGVIDEOX_WEBHOOK_SECRET wins over the option.
	 *
	 * @return string
	 */
	public static function webhook_secret() {
		if ( self::secret_from_constant() ) {
			return (string) COGVIDEOX_WEBHOOK_SECRET;
		}
		return (string) get_option( self::OPTION_WEBHOOK_SECRET, '' );
	}

	/**
	 * Whether the webhook secret comes from wp-config.php.
	 *
	 * @return bool
	 */
	public static function secret_from_constant() {
		return defined( 'COGVIDEOX_WEBHOOK_SECRET' ) && '' !== (string) COGVIDEOX_WEBHOOK_SECRET;
	}

	/**
	 * Generation defaults, always complete.
	 *
	 * @return array{duration:int,resolution:string,enhance_quality:bool,template:string,variable_map:string}
	 */
	public static function defaults() {
		$stored = get_option( self::OPTION_DEFAULTS, array() );
		if ( ! is_array( $stored ) ) {
			$stored = array();
		}
		return wp_parse_args(
			$stored,
			array(
				'duration'        => 4,
				'resolution'      => '512x512',
				'enhance_quality' => true,
				'template'        => '',
				'variable_map'    => '',
			)
		);
	}

	/**
	 * Custom fields sent to service templates as variables: "name = meta_key" lines of the
	 * settings, as name => meta key (see CogVideoX_Jobs::template_variables()).
	 *
	 * @return array<string,string>
	 */
	public static function variable_map() {
		return self::parse_variable_map( (string) self::defaults()['variable_map'] );
	}

	/**
	 * "name = meta_key" lines -> name => meta key; lines that are not one are dropped.
	 *
	 * @param string $text Lines.
	 * @return array<string,string>
	 */
	public static function parse_variable_map( $text ) {
		$map = array();
		foreach ( preg_split( '/\r\n|\r|\n/', (string) $text ) as $line ) {
			$parts = array_map( 'trim', explode( '=', $line, 2 ) );
			if ( 2 !== count( $parts ) || ! preg_match( '/^[A-Za-z_][A-Za-z0-9_]{0,63}$/', $parts[0] ) ) {
				continue;
			}
			$meta_key = sanitize_text_field( $parts[1] );
			if ( '' !== $meta_key ) {
				$map[ $parts[0] ] = $meta_key;
			}
		}
		return $map;
	}

	/**
	 * Whether enough is configured to call the service.
	 *
	 * @return bool
	 */
	public static function is_configured() {
		return '' !== self::api_url() && '' !== self::api_token();
	}

	/* ------------------------------------------------------------------
	 * Sanitizing (also used by the REST routes and the meta box).
	 * ------------------------------------------------------------------ */

	/**
	 * Only http(s) URLs; no credentials, query or fragment; no trailing slash.
	 *
	 * @param mixed $value Raw input.
	 * @return string
	 */
	public static function sanitize_api_url( $value ) {
		$value = trim( (string) $value );
		if ( '' === $value ) {
			return '';
		}
		$url    = esc_url_raw( $value, array( 'http', 'https' ) );
		$parsed = $url ? wp_parse_url( $url ) : false;
		if ( ! $parsed || empty( $parsed['host'] ) || isset( $parsed['user'] ) || isset( $parsed['pass'] ) ) {
			self::settings_error( 'cogvideox_api_url', __( 'The API URL must be a full http:// or https:// address.', 'cogvideox' ) );
			return (string) get_option( self::OPTION_API_URL, '' );
		}
		$clean = $parsed['scheme'] . '://' . $parsed['host'];
		if ( isset( $parsed['port'] ) ) {
			$clean .= ':' . (int) $parsed['port'];
		}
		if ( isset( $parsed['path'] ) ) {
			$clean .= untrailingslashit( $parsed['path'] );
		}
		$warning = self::insecure_transport_warning( $clean );
		if ( '' !== $warning && function_exists( 'add_settings_error' ) ) {
			add_settings_error( self::GROUP, 'cogvideox_insecure_url', $warning, 'warning' );
		}
		return $clean;
	}

	/**
	 * The token field is write-only: an empty submission keeps the saved token unless
	 * "clear" was ticked.
	 *
	 * @param mixed $value Raw input.
	 * @return string
	 */
	public static function sanitize_api_token( $value ) {
		return self::sanitize_secret( $value, self::OPTION_API_TOKEN, 'cogvideox_api_token_clear' );
	}

	/**
	 * Same write-only rule for the webhook secret.
	 *
	 * @param mixed $value Raw input.
	 * @return string
	 */
	public static function sanitize_webhook_secret( $value ) {
		return self::sanitize_secret( $value, self::OPTION_WEBHOOK_SECRET, 'cogvideox_webhook_secret_clear' );
	}

	/**
	 * Shared rule for write-only secrets.
	 *
	 * @param mixed  $value       Raw input.
	 * @param string $option      Option name.
	 * @param string $clear_field Name of the "clear" checkbox.
	 * @return string
	 */
	private static function sanitize_secret( $value, $option, $clear_field ) {
		// The settings form is nonce-checked by options.php before sanitizing runs.
		// phpcs:ignore WordPress.Security.NonceVerification.Missing
		if ( ! empty( $_POST[ $clear_field ] ) ) {
			return '';
		}
		$value = is_scalar( $value ) ? preg_replace( '/[^\x21-\x7E]/', '', (string) $value ) : '';
		if ( '' === $value ) {
			return (string) get_option( $option, '' );
		}
		return substr( $value, 0, 512 );
	}

	/**
	 * Clamp the defaults to what the service accepts.
	 *
	 * @param mixed $value Raw input.
	 * @return array
	 */
	public static function sanitize_defaults( $value ) {
		$value = is_array( $value ) ? $value : array();
		$out   = self::defaults();

		if ( isset( $value['duration'] ) ) {
			$out['duration'] = self::sanitize_duration( $value['duration'] );
		}
		if ( isset( $value['resolution'] ) ) {
			$resolution = self::sanitize_resolution( $value['resolution'] );
			if ( '' === $resolution && '' !== trim( (string) $value['resolution'] ) ) {
				self::settings_error( 'cogvideox_resolution', self::resolution_rule() );
			} else {
				$out['resolution'] = $resolution;
			}
		}
		$out['enhance_quality'] = ! empty( $value['enhance_quality'] );
		if ( isset( $value['template'] ) ) {
			$out['template'] = sanitize_title( (string) $value['template'] );
		}
		if ( isset( $value['variable_map'] ) ) {
			$lines = array();
			foreach ( self::parse_variable_map( (string) $value['variable_map'] ) as $name => $meta_key ) {
				$lines[] = $name . ' = ' . $meta_key;
			}
			$out['variable_map'] = implode( "\n", $lines );
		}
		return $out;
	}

	/**
	 * Whole seconds between 1 and the service's longest (4 when the input is not a number).
	 *
	 * @param mixed $value Raw input.
	 * @return int
	 */
	public static function sanitize_duration( $value ) {
		if ( ! is_numeric( $value ) ) {
			return 4;
		}
		return max( 1, min( self::max_duration(), (int) $value ) );
	}

	/**
	 * "WxH" within the service's limits (multiple, sides, pixels), or '' when the input is not one.
	 *
	 * @param mixed      $value  Raw input.
	 * @param array|null $limits A model's limits (null: the text model's).
	 * @return string
	 */
	public static function sanitize_resolution( $value, $limits = null ) {
		$value = strtolower( trim( (string) $value ) );
		if ( ! preg_match( '/^(\d{2,4})\s*[x×]\s*(\d{2,4})$/u', $value, $m ) ) {
			return '';
		}
		$w = (int) $m[1];
		$h = (int) $m[2];
		$l = is_array( $limits ) ? $limits : self::limits();
		$k = max( 1, (int) $l['size_multiple'] );
		if ( $w < $l['min_side'] || $h < $l['min_side'] || $w > $l['max_side'] || $h > $l['max_side'] || $w % $k || $h % $k || $w * $h > $l['max_pixels'] ) {
			return '';
		}
		return $w . 'x' . $h;
	}

	/**
	 * Record a settings error only while a settings form is being processed.
	 *
	 * @param string $code    Error code.
	 * @param string $message Message.
	 */
	private static function settings_error( $code, $message ) {
		if ( function_exists( 'add_settings_error' ) ) {
			add_settings_error( self::GROUP, $code, $message );
		}
	}

	/* ------------------------------------------------------------------
	 * Settings page.
	 * ------------------------------------------------------------------ */

	/**
	 * Register the options with their sanitizers.
	 */
	public function register_settings() {
		register_setting(
			self::GROUP,
			self::OPTION_API_URL,
			array(
				'type'              => 'string',
				'sanitize_callback' => array( __CLASS__, 'sanitize_api_url' ),
				'default'           => '',
				'show_in_rest'      => false,
			)
		);
		register_setting(
			self::GROUP,
			self::OPTION_API_TOKEN,
			array(
				'type'              => 'string',
				'sanitize_callback' => array( __CLASS__, 'sanitize_api_token' ),
				'default'           => '',
				'show_in_rest'      => false,
			)
		);
		register_setting(
			self::GROUP,
			self::OPTION_WEBHOOK_SECRET,
			array(
				'type'              => 'string',
				'sanitize_callback' => array( __CLASS__, 'sanitize_webhook_secret' ),
				'default'           => '',
				'show_in_rest'      => false,
			)
		);
		register_setting(
			self::GROUP,
			self::OPTION_DEFAULTS,
			array(
				'type'              => 'array',
				'sanitize_callback' => array( __CLASS__, 'sanitize_defaults' ),
				'show_in_rest'      => false,
			)
		);

	}

	/**
	 * Sections and fields of the settings page.
	 */
	public function register_fields() {
		add_settings_section( 'cogvideox_service', __( 'Service', 'cogvideox' ), array( $this, 'render_service_intro' ), self::PAGE );
		add_settings_field( 'cogvideox_api_url', __( 'API URL', 'cogvideox' ), array( $this, 'render_api_url' ), self::PAGE, 'cogvideox_service', array( 'label_for' => 'cogvideox_api_url' ) );
		add_settings_field( 'cogvideox_api_token', __( 'API token', 'cogvideox' ), array( $this, 'render_api_token' ), self::PAGE, 'cogvideox_service', array( 'label_for' => 'cogvideox_api_token' ) );
		add_settings_field( 'cogvideox_webhook_secret', __( 'Webhook secret', 'cogvideox' ), array( $this, 'render_webhook_secret' ), self::PAGE, 'cogvideox_service', array( 'label_for' => 'cogvideox_webhook_secret' ) );

		add_settings_section( 'cogvideox_defaults', __( 'Defaults for new videos', 'cogvideox' ), '__return_false', self::PAGE );
		add_settings_field( 'cogvideox_duration', __( 'Duration (seconds)', 'cogvideox' ), array( $this, 'render_duration' ), self::PAGE, 'cogvideox_defaults', array( 'label_for' => 'cogvideox_duration' ) );
		add_settings_field( 'cogvideox_resolution', __( 'Resolution', 'cogvideox' ), array( $this, 'render_resolution' ), self::PAGE, 'cogvideox_defaults', array( 'label_for' => 'cogvideox_resolution' ) );
		add_settings_field( 'cogvideox_quality', __( 'Quality', 'cogvideox' ), array( $this, 'render_quality' ), self::PAGE, 'cogvideox_defaults', array( 'label_for' => 'cogvideox_enhance_quality' ) );
		add_settings_field( 'cogvideox_template', __( 'Prompt template', 'cogvideox' ), array( $this, 'render_template' ), self::PAGE, 'cogvideox_defaults', array( 'label_for' => 'cogvideox_template' ) );
		add_settings_field( 'cogvideox_variable_map', __( 'Template variables from custom fields', 'cogvideox' ), array( $this, 'render_variable_map' ), self::PAGE, 'cogvideox_defaults', array( 'label_for' => 'cogvideox_variable_map' ) );
	}

	/**
	 * Settings -> CogVideoX.
	 */
	public function add_menu() {
		add_options_page(
			__( 'CogVideoX Studio', 'cogvideox' ),
			__( 'CogVideoX', 'cogvideox' ),
			'manage_options',
			self::PAGE,
			array( $this, 'render_page' )
		);
	}

	/**
	 * "Settings" link on the Plugins screen.
	 *
	 * @param string[] $links Existing links.
	 * @return string[]
	 */
	public function action_links( $links ) {
		$url = admin_url( 'options-general.php?page=' . self::PAGE );
		array_unshift( $links, '<a href="' . esc_url( $url ) . '">' . esc_html__( 'Settings', 'cogvideox' ) . '</a>' );
		return $links;
	}

	/**
	 * Scripts for the settings page only.
	 *
	 * @param string $hook_suffix Current admin page.
	 */
	public function enqueue_assets( $hook_suffix ) {
		if ( 'settings_page_' . self::PAGE !== $hook_suffix ) {
			return;
		}
		wp_enqueue_style( 'cogvideox-admin', plugins_url( 'assets/css/cogvideox-admin.css', COGVIDEOX_PLUGIN_FILE ), array(), COGVIDEOX_VERSION );
		wp_enqueue_script( 'cogvideox-settings', plugins_url( 'assets/js/cogvideox-settings.js', COGVIDEOX_PLUGIN_FILE ), array( 'wp-api-fetch', 'wp-i18n' ), COGVIDEOX_VERSION, true );
		wp_set_script_translations( 'cogvideox-settings', 'cogvideox', COGVIDEOX_PLUGIN_DIR . 'languages' );
	}

	/**
	 * The page itself.
	 */
	public function render_page() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		?>
		<div class="wrap cogvideox-settings">
			<h1><?php echo esc_html( get_admin_page_title() ); ?></h1>
			<form action="options.php" method="post">
				<?php
				settings_fields( self::GROUP );
				do_settings_sections( self::PAGE );
				submit_button();
				?>
			</form>
			<h2><?php esc_html_e( 'Connection', 'cogvideox' ); ?></h2>
			<p><?php esc_html_e( 'Checks the saved URL and token against the service\'s system status.', 'cogvideox' ); ?></p>
			<p>
				<button type="button" class="button" id="cogvideox-test-connection" disabled><?php esc_html_e( 'Test connection', 'cogvideox' ); ?></button>
				<span class="spinner" id="cogvideox-test-spinner"></span>
			</p>
			<div id="cogvideox-test-result" class="cogvideox-test-result" role="status" aria-live="polite"></div>
			<h2><?php esc_html_e( 'Webhook endpoint', 'cogvideox' ); ?></h2>
			<p>
				<?php esc_html_e( 'Register this URL as the webhook URL of this site in CogVideoX Studio and paste the secret it gives you above. Without it the plugin checks for finished videos every minute through WP-Cron.', 'cogvideox' ); ?>
			</p>
			<p><code><?php echo esc_html( rest_url( CogVideoX_REST::NAMESPACE_V1 . '/webhook' ) ); ?></code></p>
		</div>
		<?php
	}

	/**
	 * Section intro.
	 */
	public function render_service_intro() {
		echo '<p>' . esc_html__( 'The address of your CogVideoX Studio service and an API token from its admin (Tokens).', 'cogvideox' ) . '</p>';
	}

	/**
	 * API URL field.
	 */
	public function render_api_url() {
		$disabled = defined( 'COGVIDEOX_API_URL' ) && COGVIDEOX_API_URL;
		printf(
			'<input type="url" class="regular-text code" id="cogvideox_api_url" name="%1$s" value="%2$s" placeholder="http://127.0.0.1:7860" %3$s />',
			esc_attr( self::OPTION_API_URL ),
			esc_attr( self::api_url() ),
			disabled( $disabled, true, false )
		);
		if ( $disabled ) {
			echo '<p class="description">' . esc_html__( 'Set by COGVIDEOX_API_URL in wp-config.php.', 'cogvideox' ) . '</p>';
		}
		$warning = self::insecure_transport_warning( self::api_url() );
		if ( '' !== $warning ) {
			echo '<div class="notice notice-warning inline cogvideox-insecure-url"><p>' . esc_html( $warning ) . '</p></div>';
		}
	}

	/**
	 * API token field: a password input that is never filled with the saved value.
	 */
	public function render_api_token() {
		if ( self::token_from_constant() ) {
			echo '<input type="password" class="regular-text" id="cogvideox_api_token" value="" disabled="disabled" autocomplete="off" />';
			echo '<p class="description">' . esc_html__( 'Set by COGVIDEOX_API_TOKEN in wp-config.php.', 'cogvideox' ) . '</p>';
			return;
		}
		$saved = '' !== (string) get_option( self::OPTION_API_TOKEN, '' );
		printf(
			'<input type="password" class="regular-text" id="cogvideox_api_token" name="%1$s" value="" autocomplete="new-password" placeholder="%2$s" />',
			esc_attr( self::OPTION_API_TOKEN ),
			esc_attr( $saved ? __( 'Saved - leave empty to keep', 'cogvideox' ) : '' )
		);
		if ( $saved ) {
			echo '<p class="description"><label><input type="checkbox" name="cogvideox_api_token_clear" value="1" /> ' . esc_html__( 'Remove the saved token', 'cogvideox' ) . '</label></p>';
		} else {
			echo '<p class="description">' . esc_html__( 'You can also define COGVIDEOX_API_TOKEN in wp-config.php.', 'cogvideox' ) . '</p>';
		}
	}

	/**
	 * Webhook secret field, write-only like the token.
	 */
	public function render_webhook_secret() {
		if ( self::secret_from_constant() ) {
			echo '<input type="password" class="regular-text" id="cogvideox_webhook_secret" value="" disabled="disabled" autocomplete="off" />';
			echo '<p class="description">' . esc_html__( 'Set by COGVIDEOX_WEBHOOK_SECRET in wp-config.php.', 'cogvideox' ) . '</p>';
			return;
		}
		$saved = '' !== (string) get_option( self::OPTION_WEBHOOK_SECRET, '' );
		printf(
			'<input type="password" class="regular-text" id="cogvideox_webhook_secret" name="%1$s" value="" autocomplete="new-password" placeholder="%2$s" />',
			esc_attr( self::OPTION_WEBHOOK_SECRET ),
			esc_attr( $saved ? __( 'Saved - leave empty to keep', 'cogvideox' ) : 'whsec_...' )
		);
		if ( $saved ) {
			echo '<p class="description"><label><input type="checkbox" name="cogvideox_webhook_secret_clear" value="1" /> ' . esc_html__( 'Remove the saved secret', 'cogvideox' ) . '</label></p>';
		} else {
			echo '<p class="description">' . esc_html__( 'Optional. With a secret the service tells WordPress the moment a video is ready.', 'cogvideox' ) . '</p>';
		}
	}

	/**
	 * Duration field.
	 */
	public function render_duration() {
		$d = self::defaults();
		printf(
			'<input type="number" min="1" max="%1$d" step="1" id="cogvideox_duration" name="%2$s[duration]" value="%3$d" class="small-text" />',
			(int) self::max_duration(),
			esc_attr( self::OPTION_DEFAULTS ),
			(int) $d['duration']
		);
	}

	/**
	 * Resolution field.
	 */
	public function render_resolution() {
		$d = self::defaults();
		printf(
			'<input type="text" id="cogvideox_resolution" name="%1$s[resolution]" value="%2$s" class="regular-text code" placeholder="720x480" pattern="\d+x\d+" />',
			esc_attr( self::OPTION_DEFAULTS ),
			esc_attr( $d['resolution'] )
		);
		echo '<p class="description">' . esc_html( self::resolution_rule() ) . ' ' . esc_html__( 'Empty uses the model\'s native size.', 'cogvideox' ) . '</p>';
	}

	/**
	 * Quality field.
	 */
	public function render_quality() {
		$d = self::defaults();
		printf(
			'<label><input type="checkbox" id="cogvideox_enhance_quality" name="%1$s[enhance_quality]" value="1" %2$s /> %3$s</label>',
			esc_attr( self::OPTION_DEFAULTS ),
			checked( (bool) $d['enhance_quality'], true, false ),
			esc_html__( 'Full quality (slower). Untick for a faster draft.', 'cogvideox' )
		);
	}

	/**
	 * Template field (slug of a template from GET /api/templates).
	 */
	public function render_template() {
		$d         = self::defaults();
		$templates = CogVideoX_API_Client::from_settings()->cached_templates();
		echo '<select id="cogvideox_template" name="' . esc_attr( self::OPTION_DEFAULTS ) . '[template]">';
		echo '<option value="">' . esc_html__( '(none: use the post title and excerpt)', 'cogvideox' ) . '</option>';
		$found = false;
		if ( is_array( $templates ) ) {
			foreach ( $templates as $template ) {
				$found = $found || $template['slug'] === $d['template'];
				printf( '<option value="%1$s" %2$s>%3$s</option>', esc_attr( $template['slug'] ), selected( $template['slug'], $d['template'], false ), esc_html( $template['name'] ) );
			}
		}
		if ( ! $found && '' !== $d['template'] ) {
			printf( '<option value="%1$s" selected="selected">%1$s</option>', esc_attr( $d['template'] ) );
		}
		echo '</select>';
		if ( is_wp_error( $templates ) ) {
			echo '<p class="description">' . esc_html__( 'Templates could not be loaded: ', 'cogvideox' ) . esc_html( $templates->get_error_message() ) . '</p>';
		}
	}

	/**
	 * Custom fields as template variables ("name = meta_key", one a line).
	 */
	public function render_variable_map() {
		$d = self::defaults();
		printf(
			'<textarea id="cogvideox_variable_map" name="%1$s[variable_map]" rows="4" class="large-text code" placeholder="color = _product_color">%2$s</textarea>',
			esc_attr( self::OPTION_DEFAULTS ),
			esc_textarea( (string) $d['variable_map'] )
		);
		echo '<p class="description">' . esc_html__( 'A template on CogVideoX Studio gets the post\'s title (also as subject and topic), excerpt, categories and tags; add custom fields here, one "variable = meta_key" a line. The service renders the template with them and applies its negative prompt and defaults.', 'cogvideox' ) . '</p>';
	}
}
