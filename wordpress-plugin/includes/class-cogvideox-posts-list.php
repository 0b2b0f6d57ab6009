<?php
/**
 * Posts -> All Posts: a "Video" column with each post's job state, and the bulk action
 * "Generate video".
 *
 * @package CogVideoX
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Column and bulk action on the posts lists.
 */
class CogVideoX_Posts_List {

	const COLUMN = 'cogvideox';
	const ACTION = 'cogvideox_generate';

	/**
	 * Hook into WordPress.
	 */
	public function register_hooks() {
		add_action( 'admin_init', array( $this, 'hook_post_types' ) );
		add_action( 'admin_notices', array( $this, 'bulk_notice' ) );
		add_action( 'admin_enqueue_scripts', array( $this, 'enqueue_hover_preview' ) );
	}

	/**
	 * On the posts screens: the script that shows a poster's animated preview on hover.
	 *
	 * @param string $hook_suffix Admin page.
	 */
	public function enqueue_hover_preview( $hook_suffix ) {
		if ( 'edit.php' !== $hook_suffix ) {
			return;
		}
		wp_enqueue_style( 'cogvideox-admin', plugins_url( 'assets/css/cogvideox-admin.css', COGVIDEOX_PLUGIN_FILE ), array(), COGVIDEOX_VERSION );
		wp_enqueue_script( 'cogvideox-hover-preview', plugins_url( 'assets/js/cogvideox-hover-preview.js', COGVIDEOX_PLUGIN_FILE ), array(), COGVIDEOX_VERSION, true );
	}

	/**
	 * Column and bulk action for every post type of the plugin.
	 */
	public function hook_post_types() {
		foreach ( CogVideoX_Editor_Blocks::post_types() as $post_type ) {
			add_filter( "manage_{$post_type}_posts_columns", array( $this, 'add_column' ) );
			add_action( "manage_{$post_type}_posts_custom_column", array( $this, 'render_column' ), 10, 2 );
			add_filter( "bulk_actions-edit-{$post_type}", array( $this, 'add_bulk_action' ) );
			add_filter( "handle_bulk_actions-edit-{$post_type}", array( $this, 'handle_bulk_action' ), 10, 3 );
		}
	}

	/**
	 * The column, for users who may generate.
	 *
	 * @param string[] $columns Columns.
	 * @return string[]
	 */
	public function add_column( $columns ) {
		if ( CogVideoX_Jobs::user_can_generate() ) {
			$columns[ self::COLUMN ] = __( 'Video', 'cogvideox' );
		}
		return $columns;
	}

	/**
	 * One cell: the job's state in words.
	 *
	 * @param string $column  Column name.
	 * @param int    $post_id Post id.
	 */
	public function render_column( $column, $post_id ) {
		if ( self::COLUMN !== $column ) {
			return;
		}
		echo self::poster_html( $post_id ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped in poster_html().
		echo '<span class="cogvideox-column" data-status="' . esc_attr( self::status_key( $post_id ) ) . '">' . esc_html( self::status_label( $post_id ) ) . '</span>';
	}

	/**
	 * The imported poster of a post's video, with its animated WebP preview on hover
	 * (cogvideox-hover-preview.js), or '' when it has none yet.
	 *
	 * @param int $post_id Post id.
	 * @return string
	 */
	public static function poster_html( $post_id ) {
		$poster = (int) get_post_meta( $post_id, CogVideoX_Jobs::META_POSTER_ID, true );
		$src    = $poster ? wp_get_attachment_image_url( $poster, 'thumbnail' ) : false;
		if ( ! $src ) {
			return '';
		}
		$preview = (int) get_post_meta( $post_id, CogVideoX_Jobs::META_PREVIEW_ID, true );
		// The original file: WordPress's resized copies of an animated WebP would not move.
		$preview_url = $preview ? wp_get_attachment_url( $preview ) : false;
		return sprintf(
			'<img class="cogvideox-column-poster" src="%1$s" %2$s alt="%3$s" width="64" loading="lazy" /> ',
			esc_url( $src ),
			$preview_url ? 'data-preview="' . esc_url( $preview_url ) . '"' : '',
			esc_attr__( 'Video poster', 'cogvideox' )
		);
	}

	/**
	 * The state a cell shows: none, requested, queued, processing, importing, completed,
	 * failed or canceled.
	 *
	 * @param int $post_id Post id.
	 * @return string
	 */
	public static function status_key( $post_id ) {
		$state = CogVideoX_Jobs::state( $post_id );
		if ( 'completed' === $state['status'] && ! $state['attachment'] ) {
			return 'failed' === $state['import']['state'] ? 'failed' : 'importing';
		}
		return '' !== $state['status'] ? $state['status'] : 'none';
	}

	/**
	 * The cell's text.
	 *
	 * @param int $post_id Post id.
	 * @return string
	 */
	public static function status_label( $post_id ) {
		$state = CogVideoX_Jobs::state( $post_id );
		switch ( self::status_key( $post_id ) ) {
			case 'requested':
				return __( 'Requested', 'cogvideox' );
			case 'queued':
				return __( 'Queued', 'cogvideox' );
			case 'processing':
				/* translators: %d: percent done */
				return sprintf( __( 'Generating %d%%', 'cogvideox' ), $state['progress'] );
			case 'importing':
				return __( 'Importing', 'cogvideox' );
			case 'completed':
				return __( 'Video ready', 'cogvideox' );
			case 'failed':
				/* translators: %s: error message */
				return '' !== $state['error'] ? sprintf( __( 'Failed: %s', 'cogvideox' ), $state['error'] ) : __( 'Failed', 'cogvideox' );
			case 'canceled':
				return __( 'Canceled', 'cogvideox' );
		}
		return '—';
	}

	/**
	 * "Generate video" in the Bulk actions menu.
	 *
	 * @param string[] $actions Actions.
	 * @return string[]
	 */
	public function add_bulk_action( $actions ) {
		if ( CogVideoX_Jobs::user_can_generate() && CogVideoX_Settings::is_configured() ) {
			$actions[ self::ACTION ] = __( 'Generate video', 'cogvideox' );
		}
		return $actions;
	}

	/**
	 * Start one job per selected post that has none running and no finished video. Pressing
	 * it again (or a double submit) starts nothing more: those posts are then busy or done,
	 * and each request carries an Idempotency-Key of its post, body and previous job.
	 * WordPress checked the list's nonce (bulk-posts) before calling this.
	 *
	 * @param string $redirect Where to go afterwards.
	 * @param string $action   Chosen action.
	 * @param int[]  $post_ids Selected posts.
	 * @return string
	 */
	public function handle_bulk_action( $redirect, $action, $post_ids ) {
		if ( self::ACTION !== $action ) {
			return $redirect;
		}
		$counts = self::generate_for_posts( (array) $post_ids, 'bulk' );
		return add_query_arg(
			array(
				'cogvideox_queued'  => $counts['queued'],
				'cogvideox_skipped' => $counts['skipped'],
				'cogvideox_failed'  => $counts['failed'],
			),
			remove_query_arg( array( 'cogvideox_queued', 'cogvideox_skipped', 'cogvideox_failed' ), $redirect )
		);
	}

	/**
	 * Start jobs for several posts (the bulk action and WP-CLI's --all-drafts).
	 *
	 * @param int[]  $post_ids Posts.
	 * @param string $source   'bulk' or 'cli' (sent as metadata).
	 * @param bool   $check_capability Whether the current user's rights apply (not for WP-CLI).
	 * @return array{queued:int,skipped:int,failed:int,errors:array<int,string>,tasks:array<int,string>}
	 */
	public static function generate_for_posts( array $post_ids, $source, $check_capability = true ) {
		$counts   = array(
			'queued'  => 0,
			'skipped' => 0,
			'failed'  => 0,
			'errors'  => array(),
			'tasks'   => array(),
		);
		$defaults = CogVideoX_Settings::defaults();
		foreach ( array_unique( array_map( 'intval', $post_ids ) ) as $post_id ) {
			if ( ! get_post( $post_id ) || ( $check_capability && ! CogVideoX_Jobs::user_can_generate( $post_id ) ) ) {
				++$counts['skipped'];
				continue;
			}
			$status = (string) get_post_meta( $post_id, CogVideoX_Jobs::META_STATUS, true );
			if ( CogVideoX_Jobs::is_busy( $post_id ) || 'completed' === $status ) {
				++$counts['skipped'];
				continue;
			}
			$input   = '' !== $defaults['template'] ? array( 'template' => $defaults['template'] ) : array();
			$payload = CogVideoX_Jobs::build_payload( $post_id, $input );
			if ( ! is_wp_error( $payload ) ) {
				$payload['metadata']['wp_source'] = sanitize_key( $source );
				$key                              = 'wp-' . $source . '-' . md5( home_url( '/' ) . '|' . $post_id . '|' . wp_json_encode( $payload ) . '|' . (string) get_post_meta( $post_id, CogVideoX_Jobs::META_TASK_ID, true ) );
				$payload                          = CogVideoX_Jobs::start( $post_id, $payload, $key );
			}
			if ( is_wp_error( $payload ) ) {
				++$counts['failed'];
				$counts['errors'][ $post_id ] = $payload->get_error_message();
				update_post_meta( $post_id, CogVideoX_Jobs::META_ERROR, sanitize_text_field( $payload->get_error_message() ) );
				continue;
			}
			++$counts['queued'];
			$counts['tasks'][ $post_id ] = $payload['task_id'];
		}
		return $counts;
	}

	/**
	 * The notice after a bulk action.
	 */
	public function bulk_notice() {
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- display only.
		if ( ! isset( $_GET['cogvideox_queued'] ) ) {
			return;
		}
		$queued  = absint( $_GET['cogvideox_queued'] );
		$skipped = isset( $_GET['cogvideox_skipped'] ) ? absint( $_GET['cogvideox_skipped'] ) : 0;
		$failed  = isset( $_GET['cogvideox_failed'] ) ? absint( $_GET['cogvideox_failed'] ) : 0;
		// phpcs:enable
		$parts = array(
			/* translators: %d: number of posts */
			sprintf( _n( 'Video generation queued for %d post.', 'Video generation queued for %d posts.', $queued, 'cogvideox' ), $queued ),
		);
		if ( $skipped ) {
			/* translators: %d: number of posts */
			$parts[] = sprintf( _n( '%d post skipped (it has a video or one is being made).', '%d posts skipped (they have a video or one is being made).', $skipped, 'cogvideox' ), $skipped );
		}
		if ( $failed ) {
			/* translators: %d: number of posts */
			$parts[] = sprintf( _n( '%d request was refused by the service; see the Video column.', '%d requests were refused by the service; see the Video column.', $failed, 'cogvideox' ), $failed );
		}
		printf( '<div class="notice notice-%1$s is-dismissible cogvideox-bulk-notice"><p>%2$s</p></div>', $failed ? 'warning' : 'success', esc_html( implode( ' ', $parts ) ) );
	}
}
