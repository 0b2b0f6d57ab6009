<?php
/**
 * The plugin's entry class. It keeps the shape of the original integration example
 * (add_admin_menu, add_video_meta_box, save_video_generation, generate_video_for_post and the
 * _cogvideox_task_id post meta) so code written against it keeps working.
 *
 * @package CogVideoX
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Wires the parts together; meta box and the save_post flow.
 */
class CogVideoX_Integration {

	const NONCE_ACTION = 'cogvideox_meta_box';
	const NONCE_FIELD  = 'cogvideox_meta_box_nonce';

	/**
	 * Service base URL (as in the original class).
	 *
	 * @var string
	 */
	private $api_url;

	/**
	 * API token (as in the original class; never printed).
	 *
	 * @var string
	 */
	private $api_token;

	/**
	 * Settings page.
	 *
	 * @var CogVideoX_Settings
	 */
	public $settings;

	/**
	 * Hook everything up.
	 */
	public function __construct() {
		$this->api_url   = CogVideoX_Settings::api_url();
		$this->api_token = CogVideoX_Settings::api_token();

		$this->settings = new CogVideoX_Settings();
		$this->settings->register_hooks();
		( new CogVideoX_REST() )->register_hooks();
		( new CogVideoX_Cron() )->register_hooks();
		( new CogVideoX_Background() )->register_hooks();
		( new CogVideoX_Editor_Blocks() )->register_hooks();
		( new CogVideoX_Posts_List() )->register_hooks();
		add_filter( 'user_has_cap', array( 'CogVideoX_Jobs', 'grant_capability' ), 10, 2 );
		if ( defined( 'WP_CLI' ) && WP_CLI ) {
			CogVideoX_CLI::register();
		}

		add_action( 'admin_menu', array( $this, 'add_admin_menu' ) );
		add_action( 'add_meta_boxes', array( $this, 'add_video_meta_box' ) );
		add_action( 'save_post', array( $this, 'save_video_generation' ), 10, 2 );
		add_action( 'admin_enqueue_scripts', array( $this, 'enqueue_editor_assets' ) );
		// Settings may change during a request (settings page, tests): keep the copies fresh.
		add_action( 'update_option_' . CogVideoX_Settings::OPTION_API_URL, array( $this, 'refresh_settings' ) );
		add_action( 'update_option_' . CogVideoX_Settings::OPTION_API_TOKEN, array( $this, 'refresh_settings' ) );
		add_action( 'add_option_' . CogVideoX_Settings::OPTION_API_URL, array( $this, 'refresh_settings' ) );
		add_action( 'add_option_' . CogVideoX_Settings::OPTION_API_TOKEN, array( $this, 'refresh_settings' ) );
	}

	/**
	 * Re-read URL and token.
	 */
	public function refresh_settings() {
		$this->api_url   = CogVideoX_Settings::api_url();
		$this->api_token = CogVideoX_Settings::api_token();
	}

	/**
	 * Settings -> CogVideoX.
	 */
	public function add_admin_menu() {
		$this->settings->add_menu();
	}

	/**
	 * Start a video for a post: the original method. Sends {prompt, duration: 4,
	 * resolution: "512x512"} (overridable through $options) and stores the task id in
	 * _cogvideox_task_id.
	 *
	 * @param int    $post_id Post id.
	 * @param string $prompt  Prompt.
	 * @param array  $options Extra or overriding request fields (duration, resolution, ...).
	 * @return string|false Task id, or false on failure.
	 */
	public function generate_video_for_post( $post_id, $prompt, $options = array() ) {
		$this->refresh_settings();
		if ( '' === $this->api_url || '' === $this->api_token ) {
			return false;
		}
		$payload = array_merge(
			array(
				'prompt'     => (string) $prompt,
				'duration'   => 4,
				'resolution' => '512x512',
			),
			(array) $options
		);
		$callback = CogVideoX_Jobs::callback_url();
		if ( $callback && ! isset( $payload['callback_url'] ) ) {
			$payload['callback_url'] = $callback;
		}
		// The same client as every other door: Idempotency-Key, no redirects, readable errors.
		$body = CogVideoX_API_Client::from_settings()->generate( $payload, wp_generate_uuid4() );
		if ( is_wp_error( $body ) ) {
			return false;
		}
		CogVideoX_Jobs::remember_started( (int) $post_id, (string) $body['task_id'], $payload, $body );
		return (string) $body['task_id'];
	}

	/**
	 * The meta box on every post type with an editor UI.
	 */
	public function add_video_meta_box() {
		$post_types = get_post_types( array( 'show_ui' => true ), 'names' );
		unset( $post_types['attachment'] );
		/**
		 * Filters the post types that get the CogVideoX meta box.
		 *
		 * @param string[] $post_types Post type names.
		 */
		$post_types = apply_filters( 'cogvideox_post_types', array_values( $post_types ) );
		if ( ! CogVideoX_Jobs::user_can_generate() ) {
			return; // Users who may not generate (contributors by default) get no box.
		}
		foreach ( $post_types as $post_type ) {
			if ( ! post_type_supports( $post_type, 'editor' ) ) {
				continue;
			}
			add_meta_box(
				'cogvideox-meta-box',
				__( 'CogVideoX video', 'cogvideox' ),
				array( $this, 'render_meta_box' ),
				$post_type,
				'normal',
				'high',
				array( '__back_compat_meta_box' => false )
			);
		}
	}

	/**
	 * Meta box markup. The JavaScript takes it over; without JavaScript the "generate when
	 * I save" checkbox still works.
	 *
	 * @param WP_Post $post Post.
	 */
	public function render_meta_box( $post ) {
		$defaults   = CogVideoX_Settings::defaults();
		$configured = CogVideoX_Settings::is_configured();
		$state      = CogVideoX_Jobs::state( $post->ID );
		$prompt     = (string) get_post_meta( $post->ID, CogVideoX_Jobs::META_PROMPT, true );
		$prefilled  = '' === $prompt;
		if ( $prefilled ) {
			$prompt = CogVideoX_Jobs::prompt_from_post( $post->ID );
		}
		$params     = is_array( $state['params'] ) ? $state['params'] : array();
		$duration   = isset( $params['duration'] ) ? (int) $params['duration'] : (int) $defaults['duration'];
		$resolution = isset( $params['resolution'] ) ? (string) $params['resolution'] : (string) $defaults['resolution'];
		$fit        = isset( $params['fit'] ) ? (string) $params['fit'] : '';
		$fps        = isset( $params['fps'] ) ? (int) $params['fps'] : 0;
		$limits     = CogVideoX_Settings::limits();
		$on_save    = (bool) get_post_meta( $post->ID, CogVideoX_Jobs::META_GENERATE_ON_SAVE, true );
		$templates  = $configured ? CogVideoX_API_Client::from_settings()->cached_templates() : array();
		// "Animate the featured image": only when the service serves an image-to-video model;
		// shown while the post has a featured image (the script follows the editor's choice).
		$image_model = $configured ? CogVideoX_Settings::image_model() : null;
		$featured    = (int) get_post_thumbnail_id( $post->ID );

		wp_nonce_field( self::NONCE_ACTION, self::NONCE_FIELD );
		?>
		<div class="cogvideox-box" id="cogvideox-box"
			data-post-id="<?php echo esc_attr( (string) $post->ID ); ?>"
			data-state="<?php echo esc_attr( (string) wp_json_encode( $state ) ); ?>"
			data-prompt-from-post="<?php echo $prefilled ? '1' : '0'; ?>"
			data-default-template="<?php echo esc_attr( (string) $defaults['template'] ); ?>">
			<?php if ( ! $configured ) : ?>
				<div class="notice notice-warning inline"><p>
					<?php
					if ( current_user_can( 'manage_options' ) ) {
						printf(
							/* translators: %s: settings page link */
							esc_html__( 'Connect CogVideoX Studio first: %s.', 'cogvideox' ),
							'<a href="' . esc_url( admin_url( 'options-general.php?page=' . CogVideoX_Settings::PAGE ) ) . '">' . esc_html__( 'Settings -> CogVideoX', 'cogvideox' ) . '</a>'
						);
					} else {
						esc_html_e( 'CogVideoX Studio is not connected yet. Ask an administrator.', 'cogvideox' );
					}
					?>
				</p></div>
			<?php endif; ?>

			<p class="cogvideox-field">
				<label for="cogvideox-template"><?php esc_html_e( 'Template', 'cogvideox' ); ?></label>
				<select id="cogvideox-template" name="cogvideox_template">
					<option value=""><?php esc_html_e( '(none: title and excerpt)', 'cogvideox' ); ?></option>
					<?php
					if ( is_array( $templates ) ) {
						foreach ( $templates as $template ) {
							printf(
								'<option value="%1$s" data-prompt="%2$s" %3$s>%4$s</option>',
								esc_attr( $template['slug'] ),
								esc_attr( $template['prompt'] ),
								selected( $template['slug'], $defaults['template'], false ),
								esc_html( $template['name'] )
							);
						}
					}
					?>
				</select>
			</p>
			<p class="cogvideox-field">
				<label for="cogvideox-prompt"><?php esc_html_e( 'Prompt', 'cogvideox' ); ?></label>
				<textarea id="cogvideox-prompt" name="cogvideox_prompt" rows="3" class="widefat" maxlength="2000"
					placeholder="<?php esc_attr_e( 'Describe the video. Empty: the post title and excerpt are used.', 'cogvideox' ); ?>"><?php echo esc_textarea( $prompt ); ?></textarea>
				<button type="button" class="button-link" id="cogvideox-use-title"><?php esc_html_e( 'Use title and excerpt', 'cogvideox' ); ?></button>
			</p>
			<p class="cogvideox-field cogvideox-inline">
				<label for="cogvideox-duration"><?php esc_html_e( 'Duration (s)', 'cogvideox' ); ?></label>
				<input type="number" id="cogvideox-duration" name="cogvideox_duration" min="1" max="<?php echo esc_attr( (string) CogVideoX_Settings::max_duration() ); ?>" step="1" value="<?php echo esc_attr( (string) $duration ); ?>" class="small-text" />
				<label for="cogvideox-resolution"><?php esc_html_e( 'Resolution', 'cogvideox' ); ?></label>
				<input type="text" id="cogvideox-resolution" name="cogvideox_resolution" value="<?php echo esc_attr( $resolution ); ?>" placeholder="<?php echo esc_attr( (string) $limits['native_resolution'] ); ?>" class="regular-text code cogvideox-resolution" />
			</p>
			<?php // Fit and frame rate: the choices the service lists (GET /api/models), nothing built in. ?>
			<p class="cogvideox-field cogvideox-inline">
				<label for="cogvideox-fit"><?php esc_html_e( 'Fit', 'cogvideox' ); ?></label>
				<select id="cogvideox-fit" name="cogvideox_fit">
					<option value=""><?php echo esc_html( '' !== $limits['default_fit'] ? sprintf( /* translators: %s: the service's default fit */ __( 'Service default (%s)', 'cogvideox' ), $limits['default_fit'] ) : __( 'Service default', 'cogvideox' ) ); ?></option>
					<?php foreach ( $limits['fits'] as $choice ) : ?>
						<option value="<?php echo esc_attr( $choice ); ?>" <?php selected( $choice, $fit ); ?>><?php echo esc_html( $choice ); ?></option>
					<?php endforeach; ?>
				</select>
				<label for="cogvideox-fps"><?php esc_html_e( 'Frame rate', 'cogvideox' ); ?></label>
				<select id="cogvideox-fps" name="cogvideox_fps">
					<option value="">
					<?php
					/* translators: %d: the model's native frame rate */
					echo esc_html( sprintf( __( 'Native (%d fps)', 'cogvideox' ), (int) $limits['fps'] ) );
					?>
					</option>
					<?php foreach ( $limits['fps_choices'] as $rate ) : ?>
						<option value="<?php echo esc_attr( (string) $rate ); ?>" <?php selected( $rate, $fps ); ?>><?php echo esc_html( $rate . ' fps' ); ?></option>
					<?php endforeach; ?>
				</select>
			</p>
			<p class="cogvideox-field">
				<label><input type="checkbox" name="cogvideox_enhance_quality" id="cogvideox-enhance-quality" value="1" <?php checked( isset( $params['enhance_quality'] ) ? (bool) $params['enhance_quality'] : (bool) $defaults['enhance_quality'] ); ?> />
				<?php esc_html_e( 'Full quality (slower)', 'cogvideox' ); ?></label>
			</p>
			<p class="cogvideox-actions">
				<button type="button" class="button button-primary" id="cogvideox-generate" <?php disabled( ! $configured ); ?>><?php esc_html_e( 'Generate', 'cogvideox' ); ?></button>
				<?php if ( null !== $image_model ) : ?>
					<button type="button" class="button" id="cogvideox-animate"
						data-featured-image="<?php echo esc_attr( (string) $featured ); ?>"
						title="<?php echo esc_attr( sprintf( /* translators: %s: the image-to-video model */ __( 'Sends the featured image (PNG, JPEG or WebP) and the prompt to %s.', 'cogvideox' ), $image_model['model'] ) ); ?>"
						<?php echo $featured ? '' : 'hidden'; ?>><?php esc_html_e( 'Animate the featured image', 'cogvideox' ); ?></button>
				<?php endif; ?>
				<button type="button" class="button" id="cogvideox-cancel" hidden><?php esc_html_e( 'Cancel', 'cogvideox' ); ?></button>
			</p>
			<div class="cogvideox-progress" id="cogvideox-progress-wrap" hidden>
				<progress id="cogvideox-progress" max="100" value="0"></progress>
				<span id="cogvideox-status-text" role="status" aria-live="polite"></span>
			</div>
			<div class="notice notice-error inline cogvideox-error" id="cogvideox-error" hidden><p></p></div>
			<div class="cogvideox-result" id="cogvideox-result" hidden>
				<video id="cogvideox-preview" controls muted playsinline preload="metadata"></video>
				<p>
					<button type="button" class="button" id="cogvideox-insert"><?php esc_html_e( 'Insert into post', 'cogvideox' ); ?></button>
					<button type="button" class="button" id="cogvideox-featured"><?php esc_html_e( 'Set poster as featured image', 'cogvideox' ); ?></button>
					<a href="#" id="cogvideox-media-link" target="_blank" rel="noopener"><?php esc_html_e( 'Open in Media Library', 'cogvideox' ); ?></a>
				</p>
			</div>
			<p class="cogvideox-field cogvideox-on-save">
				<label><input type="checkbox" name="cogvideox_generate_on_save" id="cogvideox-generate-on-save" value="1" <?php checked( $on_save ); ?> />
				<?php esc_html_e( 'Generate a video when I save this post', 'cogvideox' ); ?></label>
			</p>
		</div>
		<?php
	}

	/**
	 * save_post: remember the meta box fields and, when "generate when I save" is ticked,
	 * start a job (the original flow).
	 *
	 * @param int          $post_id Post id.
	 * @param WP_Post|null $post    Post.
	 * @return bool Whether a job was requested.
	 */
	public function save_video_generation( $post_id, $post = null ) {
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- verified right here.
		if ( ! isset( $_POST[ self::NONCE_FIELD ] ) || ! wp_verify_nonce( sanitize_key( wp_unslash( $_POST[ self::NONCE_FIELD ] ) ), self::NONCE_ACTION ) ) {
			return false;
		}
		if ( defined( 'DOING_AUTOSAVE' ) && DOING_AUTOSAVE ) {
			return false;
		}
		if ( wp_is_post_revision( $post_id ) || wp_is_post_autosave( $post_id ) ) {
			return false;
		}
		if ( ! CogVideoX_Jobs::user_can_generate( $post_id ) ) {
			return false;
		}
		$post = $post ? $post : get_post( $post_id );
		if ( ! $post || 'auto-draft' === $post->post_status || 'trash' === $post->post_status ) {
			return false;
		}

		$on_save = ! empty( $_POST['cogvideox_generate_on_save'] );
		$input   = array(
			'prompt'          => isset( $_POST['cogvideox_prompt'] ) ? sanitize_textarea_field( wp_unslash( $_POST['cogvideox_prompt'] ) ) : '',
			// Empty (a template's own default): not sent.
			'duration'        => isset( $_POST['cogvideox_duration'] ) && '' !== $_POST['cogvideox_duration'] ? absint( $_POST['cogvideox_duration'] ) : null,
			'resolution'      => isset( $_POST['cogvideox_resolution'] ) ? sanitize_text_field( wp_unslash( $_POST['cogvideox_resolution'] ) ) : null,
			'fit'             => isset( $_POST['cogvideox_fit'] ) ? sanitize_key( wp_unslash( $_POST['cogvideox_fit'] ) ) : null,
			'fps'             => isset( $_POST['cogvideox_fps'] ) && '' !== $_POST['cogvideox_fps'] ? absint( $_POST['cogvideox_fps'] ) : null,
			'enhance_quality' => ! empty( $_POST['cogvideox_enhance_quality'] ),
			'template'        => isset( $_POST['cogvideox_template'] ) ? sanitize_title( wp_unslash( $_POST['cogvideox_template'] ) ) : '',
		);
		// phpcs:enable
		$input = array_filter(
			$input,
			static function ( $value ) {
				return null !== $value;
			}
		);

		update_post_meta( $post_id, CogVideoX_Jobs::META_GENERATE_ON_SAVE, $on_save ? 1 : 0 );
		if ( '' !== $input['prompt'] ) {
			update_post_meta( $post_id, CogVideoX_Jobs::META_PROMPT, $input['prompt'] );
		}
		if ( ! $on_save || ! CogVideoX_Settings::is_configured() || CogVideoX_Jobs::is_busy( $post_id ) ) {
			return false; // One job at a time; saving again does not start another.
		}

		$payload = CogVideoX_Jobs::build_payload( $post_id, $input );
		if ( is_wp_error( $payload ) ) {
			update_post_meta( $post_id, CogVideoX_Jobs::META_ERROR, $payload->get_error_message() );
			return false;
		}
		$status = (string) get_post_meta( $post_id, CogVideoX_Jobs::META_STATUS, true );
		if ( ! isset( $payload['template'] ) && 'completed' === $status && CogVideoX_Jobs::attachment_id( $post_id ) && $this->last_prompt_matches( $post_id, $payload['prompt'] ) ) {
			return false; // This prompt already has its video: saving again is not a new request.
		}
		// The same job code as the Generate button, sent from a background event so the
		// save never waits for the service (CogVideoX_Jobs::request_start()).
		$state = CogVideoX_Jobs::request_start( $post_id, $payload );
		if ( is_wp_error( $state ) ) {
			update_post_meta( $post_id, CogVideoX_Jobs::META_ERROR, $state->get_error_message() );
			return false;
		}
		return true;
	}

	/**
	 * Whether the last job of the post used this prompt.
	 *
	 * @param int    $post_id Post id.
	 * @param string $prompt  Prompt.
	 * @return bool
	 */
	private function last_prompt_matches( $post_id, $prompt ) {
		$params = json_decode( (string) get_post_meta( $post_id, CogVideoX_Jobs::META_PARAMS, true ), true );
		return is_array( $params ) && isset( $params['prompt'] ) && $params['prompt'] === $prompt;
	}

	/**
	 * Editor script and style on post screens.
	 *
	 * @param string $hook_suffix Admin page.
	 */
	public function enqueue_editor_assets( $hook_suffix ) {
		if ( ( 'post.php' !== $hook_suffix && 'post-new.php' !== $hook_suffix ) || ! CogVideoX_Jobs::user_can_generate() ) {
			return;
		}
		wp_enqueue_style( 'cogvideox-admin', plugins_url( 'assets/css/cogvideox-admin.css', COGVIDEOX_PLUGIN_FILE ), array(), COGVIDEOX_VERSION );
		wp_enqueue_script(
			'cogvideox-editor',
			plugins_url( 'assets/js/cogvideox-editor.js', COGVIDEOX_PLUGIN_FILE ),
			array( 'wp-api-fetch', 'wp-i18n' ),
			COGVIDEOX_VERSION,
			true
		);
		wp_set_script_translations( 'cogvideox-editor', 'cogvideox', COGVIDEOX_PLUGIN_DIR . 'languages' );
		wp_localize_script(
			'cogvideox-editor',
			'cogvideoxEditor',
			array(
				'restPath'     => '/' . CogVideoX_REST::NAMESPACE_V1,
				'pollInterval' => 3000,
			)
		);
	}
}
