/**
 * Document sidebar panel "CogVideoX videos": the post's jobs (newest first) with their
 * state, following the running one. Blocks announce their jobs (cogvideox:job events), so
 * the panel needs no polling of its own unless a job is pending when the editor opens (or
 * it started one itself: "Animate the featured image", offered while the post has a
 * featured image and the service serves an image-to-video model).
 */
( function ( wp, config ) {
	'use strict';

	var el = wp.element.createElement;
	var useState = wp.element.useState;
	var useEffect = wp.element.useEffect;
	var useRef = wp.element.useRef;
	var useSelect = wp.data.useSelect;
	var C = wp.components;
	var __ = wp.i18n.__;
	var sprintf = wp.i18n.sprintf;
	var apiFetch = wp.apiFetch;
	var PluginDocumentSettingPanel = wp.editPost && wp.editPost.PluginDocumentSettingPanel;
	var pollInterval = parseInt( config.pollInterval, 10 ) || 3000;

	if ( ! PluginDocumentSettingPanel || ! wp.plugins ) {
		return;
	}

	var labels = {
		requested: __( 'requested', 'cogvideox' ),
		queued: __( 'queued', 'cogvideox' ),
		processing: __( 'generating', 'cogvideox' ),
		completed: __( 'completed', 'cogvideox' ),
		failed: __( 'failed', 'cogvideox' ),
		canceled: __( 'canceled', 'cogvideox' ),
	};

	function pending( state ) {
		var s = state && state.status;
		return s === 'requested' || s === 'queued' || s === 'processing' || ( s === 'completed' && ! state.attachment );
	}

	function Panel() {
		var stateHolder = useState( null );
		var state = stateHolder[ 0 ];
		var limitsHolder = useState( null );
		var errorHolder = useState( '' );
		var sendingHolder = useState( false );
		var timer = useRef( null );
		var alive = useRef( true );
		var postId = wp.data.select( 'core/editor' ).getCurrentPostId();
		var featuredId = useSelect( function ( select ) {
			return select( 'core/editor' ).getEditedPostAttribute( 'featured_media' ) || 0;
		}, [] );

		function load() {
			window.clearTimeout( timer.current );
			apiFetch( { path: config.restPath + '/posts/' + postId + '/job' } )
				.then( function ( next ) {
					if ( ! alive.current ) {
						return;
					}
					stateHolder[ 1 ]( next );
					if ( pending( next ) ) {
						timer.current = window.setTimeout( load, pollInterval );
					}
				} )
				.catch( function () {} );
		}

		useEffect( function () {
			alive.current = true;
			function onJob( event ) {
				if ( event.detail && event.detail.post_id === postId ) {
					stateHolder[ 1 ]( event.detail );
				}
			}
			load();
			apiFetch( { path: config.restPath + '/limits' } )
				.then( function ( l ) {
					if ( alive.current ) {
						limitsHolder[ 1 ]( l );
					}
				} )
				.catch( function () {} );
			window.addEventListener( 'cogvideox:job', onJob );
			return function () {
				alive.current = false;
				window.clearTimeout( timer.current );
				window.removeEventListener( 'cogvideox:job', onJob );
			};
		}, [ postId ] );

		// The server sends the image's file (never its URL) with the post's title and excerpt
		// (as the editor has them now) as the prompt to the service's image-to-video model.
		function animate() {
			var editor = wp.data.select( 'core/editor' );
			var prompt = [ editor.getEditedPostAttribute( 'title' ) || '', editor.getEditedPostAttribute( 'excerpt' ) || '' ]
				.map( function ( text ) {
					return String( text ).trim();
				} )
				.filter( Boolean )
				.join( '. ' );
			errorHolder[ 1 ]( '' );
			sendingHolder[ 1 ]( true );
			apiFetch( {
				path: config.restPath + '/posts/' + postId + '/generate',
				method: 'POST',
				data: { featured_image: true, featured_image_id: featuredId, prompt: prompt || undefined },
			} )
				.then( function ( next ) {
					sendingHolder[ 1 ]( false );
					stateHolder[ 1 ]( next );
					timer.current = window.setTimeout( load, pollInterval );
				} )
				.catch( function ( err ) {
					sendingHolder[ 1 ]( false );
					errorHolder[ 1 ]( ( err && err.message ) || __( 'The video could not be requested.', 'cogvideox' ) );
				} );
		}

		var limits = limitsHolder[ 0 ];
		var canAnimate = !! featuredId && !! ( limits && limits.image_models && limits.image_models.length );
		var animateControl = canAnimate ? el(
			'div',
			{ className: 'cogvideox-animate' },
			el(
				C.Button,
				{
					variant: 'secondary',
					className: 'cogvideox-animate-featured',
					onClick: animate,
					disabled: sendingHolder[ 0 ] || pending( state ),
					isBusy: sendingHolder[ 0 ],
				},
				__( 'Animate the featured image', 'cogvideox' )
			),
			errorHolder[ 0 ] ? el( C.Notice, { status: 'error', isDismissible: false, className: 'cogvideox-animate-error' }, errorHolder[ 0 ] ) : null
		) : null;

		var jobs = ( state && state.jobs ) || [];
		var body;
		if ( ! state ) {
			body = el( 'p', null, __( 'Loading…', 'cogvideox' ) );
		} else if ( ! jobs.length ) {
			body = el( 'p', null, canAnimate ? __( 'No videos generated for this post yet. Animate its featured image, or add a "CogVideoX video" block.', 'cogvideox' ) : __( 'No videos generated for this post yet. Add a "CogVideoX video" block to make one.', 'cogvideox' ) );
		} else {
			body = el(
				'ul',
				{ className: 'cogvideox-jobs' },
				jobs.map( function ( job ) {
					var current = job.task_id === state.task_id;
					var status = current ? state.status : job.status;
					var text = labels[ status ] || status;
					if ( current && status === 'processing' ) {
						/* translators: %d: percent done */
						text = sprintf( __( 'generating %d%%', 'cogvideox' ), state.progress || 0 );
					}
					if ( current && status === 'completed' && ! state.attachment ) {
						text = __( 'importing', 'cogvideox' );
					}
					return el(
						'li',
						{ key: job.task_id, className: 'cogvideox-job', 'data-status': status, 'data-task-id': job.task_id, 'data-featured-image': job.featured_image ? String( job.featured_image ) : undefined },
						el( 'strong', null, text ),
						' ',
						job.featured_image ? el( 'span', { className: 'cogvideox-job-source' }, __( 'From the featured image:', 'cogvideox' ), ' ' ) : null,
						el( 'span', null, job.template ? sprintf( /* translators: %s: template slug */ __( 'template %s', 'cogvideox' ), job.template ) : job.prompt ),
						current && state.error ? el( 'div', { className: 'cogvideox-job-error' }, state.error ) : null,
						current && state.attachment ? el( 'div', null, el( 'a', { href: state.attachment.edit_url, target: '_blank', rel: 'noopener noreferrer' }, __( 'Open in Media Library', 'cogvideox' ) ) ) : null
					);
				} )
			);
		}
		return el( PluginDocumentSettingPanel, { name: 'cogvideox-jobs', title: __( 'CogVideoX videos', 'cogvideox' ), className: 'cogvideox-jobs-panel' }, animateControl, body );
	}

	wp.plugins.registerPlugin( 'cogvideox-jobs', { render: Panel, icon: 'video-alt3' } );
} )( window.wp, window.cogvideoxSidebar || { restPath: '/cogvideox/v1', pollInterval: 3000 } );
