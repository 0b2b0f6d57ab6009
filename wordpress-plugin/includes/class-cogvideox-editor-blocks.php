<?php
/**
 * The block editor's parts: the cogvideox/video block, the document sidebar panel with the
 * post's jobs, and the job state in the standard REST API (the `cogvideox` field of posts).
 *
 * @package CogVideoX
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Block, sidebar panel and REST field.
 */
class CogVideoX_Editor_Blocks {

	const BLOCK_SCRIPT   = 'cogvideox-video-block';
	const SIDEBAR_SCRIPT = 'cogvideox-sidebar';
	const REST_FIELD     = 'cogvideox';

	/**
	 * Hook into WordPress.
	 */
	public function register_hooks() {
		add_action( 'init', array( $this, 'register_block' ) );
		add_action( 'enqueue_block_editor_assets', array( $this, 'enqueue_sidebar' ) );
		add_action( 'rest_api_init', array( $this, 'register_rest_field' ) );
	}

	/**
	 * Post types the plugin works with (the meta box's list).
	 *
	 * @return string[]
	 */
	public static function post_types() {
		$post_types = get_post_types( array( 'show_ui' => true ), 'names' );
		unset( $post_types['attachment'] );
		/** This filter is documented in includes/class-cogvideox-integration.php */
		$post_types = apply_filters( 'cogvideox_post_types', array_values( $post_types ) );
		return array_values(
			array_filter(
				(array) $post_types,
				static function ( $type ) {
					return post_type_supports( $type, 'editor' );
				}
			)
		);
	}

	/**
	 * Register the block from its block.json, with its script (plain JavaScript on the
	 * editor's own packages: nothing to build) and its translations.
	 */
	public function register_block() {
		wp_register_style( 'cogvideox-admin', plugins_url( 'assets/css/cogvideox-admin.css', COGVIDEOX_PLUGIN_FILE ), array(), COGVIDEOX_VERSION );
		wp_register_script(
			self::BLOCK_SCRIPT,
			plugins_url( 'assets/js/cogvideox-block.js', COGVIDEOX_PLUGIN_FILE ),
			array( 'wp-blocks', 'wp-element', 'wp-components', 'wp-block-editor', 'wp-data', 'wp-api-fetch', 'wp-i18n' ),
			COGVIDEOX_VERSION,
			true
		);
		wp_set_script_translations( self::BLOCK_SCRIPT, 'cogvideox', COGVIDEOX_PLUGIN_DIR . 'languages' );
		wp_localize_script(
			self::BLOCK_SCRIPT,
			'cogvideoxBlock',
			array(
				'restPath'     => '/' . CogVideoX_REST::NAMESPACE_V1,
				'pollInterval' => 2000,
				'canGenerate'  => is_user_logged_in() && CogVideoX_Jobs::user_can_generate(),
			)
		);
		register_block_type(
			COGVIDEOX_PLUGIN_DIR . 'blocks/video',
			array(
				// A generator that was never finished shows nothing to visitors: once its
				// video is ready the block replaces itself with a core/video block.
				'render_callback' => '__return_empty_string',
			)
		);
	}

	/**
	 * The document sidebar panel, for users who may generate.
	 */
	public function enqueue_sidebar() {
		if ( ! CogVideoX_Jobs::user_can_generate() ) {
			return;
		}
		wp_enqueue_script(
			self::SIDEBAR_SCRIPT,
			plugins_url( 'assets/js/cogvideox-sidebar.js', COGVIDEOX_PLUGIN_FILE ),
			array( 'wp-plugins', 'wp-edit-post', 'wp-element', 'wp-components', 'wp-data', 'wp-api-fetch', 'wp-i18n' ),
			COGVIDEOX_VERSION,
			true
		);
		wp_set_script_translations( self::SIDEBAR_SCRIPT, 'cogvideox', COGVIDEOX_PLUGIN_DIR . 'languages' );
		wp_localize_script(
			self::SIDEBAR_SCRIPT,
			'cogvideoxSidebar',
			array(
				'restPath'     => '/' . CogVideoX_REST::NAMESPACE_V1,
				'pollInterval' => 3000,
			)
		);
	}

	/**
	 * GET /wp-json/wp/v2/posts/<id> (and pages, and other post types of the plugin) carries
	 * `cogvideox`: the job's state for headless front ends.
	 */
	public function register_rest_field() {
		foreach ( self::post_types() as $post_type ) {
			$object = get_post_type_object( $post_type );
			if ( ! $object || empty( $object->show_in_rest ) ) {
				continue;
			}
			register_rest_field(
				$post_type,
				self::REST_FIELD,
				array(
					'get_callback' => array( __CLASS__, 'rest_value' ),
					'schema'       => self::rest_schema(),
				)
			);
		}
	}

	/**
	 * The field's value. Everyone who may read the post sees whether it has a video and where;
	 * those who may generate for it also see the job (task id, progress, errors, import).
	 *
	 * @param array $data Prepared post data (with 'id').
	 * @return array
	 */
	public static function rest_value( $data ) {
		$post_id = isset( $data['id'] ) ? (int) $data['id'] : 0;
		$state   = CogVideoX_Jobs::state( $post_id );
		$video   = null;
		if ( $state['attachment'] ) {
			$video = array(
				'id'         => (int) $state['attachment']['id'],
				'url'        => (string) $state['attachment']['url'],
				'mime_type'  => (string) $state['attachment']['mime_type'],
				'poster_id'  => (int) $state['attachment']['poster_id'],
				'poster_url' => (string) $state['attachment']['poster_url'],
			);
		}
		$value = array(
			'status' => '' !== $state['status'] ? $state['status'] : 'none',
			'video'  => $video,
		);
		if ( CogVideoX_Jobs::user_can_generate( $post_id ) ) {
			$value['task_id']  = $state['task_id'];
			$value['progress'] = $state['progress'];
			$value['stage']    = $state['stage'];
			$value['error']    = $state['error'];
			$value['import']   = $state['import'];
			$value['jobs']     = $state['jobs'];
		}
		return $value;
	}

	/**
	 * JSON schema of the field (read-only).
	 *
	 * @return array
	 */
	public static function rest_schema() {
		return array(
			'description' => __( 'The CogVideoX video job of this post: status and the imported video; task, progress, error and import state for users who may generate videos for it.', 'cogvideox' ),
			'type'        => 'object',
			'context'     => array( 'view', 'edit' ),
			'readonly'    => true,
			'properties'  => array(
				'status'   => array(
					'type' => 'string',
					'enum' => array( 'none', 'requested', 'queued', 'processing', 'completed', 'failed', 'canceled' ),
				),
				'video'    => array(
					'type'       => array( 'object', 'null' ),
					'properties' => array(
						'id'         => array( 'type' => 'integer' ),
						'url'        => array(
							'type'   => 'string',
							'format' => 'uri',
						),
						'mime_type'  => array( 'type' => 'string' ),
						'poster_id'  => array( 'type' => 'integer' ),
						'poster_url' => array( 'type' => 'string' ),
					),
				),
				'task_id'  => array( 'type' => 'string' ),
				'progress' => array( 'type' => 'integer' ),
				'stage'    => array( 'type' => 'string' ),
				'error'    => array( 'type' => 'string' ),
				'import'   => array( 'type' => 'object' ),
				'jobs'     => array( 'type' => 'array' ),
			),
		);
	}
}
