/**
 * Document sidebar panel "CogVideoX videos": the post's jobs (newest first) with their
 * state, following the running one. Blocks announce their jobs (cogvideox:job events), so
 * the panel needs no polling of its own unless a job is pending when the editor opens.
 */
( function ( wp, config ) {
	'use strict';

	var el = wp.element.createElement;
	var useState = wp.element.useState;
	var useEffect = wp.element.useEffect;
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

	function Panel() {
		var stateHolder = useState( null );
		var state = stateHolder[ 0 ];
		var postId = wp.data.select( 'core/editor' ).getCurrentPostId();

		useEffect( function () {
			var timer = null;
			var alive = true;
			function load() {
				apiFetch( { path: config.restPath + '/posts/' + postId + '/job' } )
					.then( function ( next ) {
						if ( ! alive ) {
							return;
						}
						stateHolder[ 1 ]( next );
						var s = next.status;
						if ( s === 'requested' || s === 'queued' || s === 'processing' || ( s === 'completed' && ! next.attachment ) ) {
							timer = window.setTimeout( load, pollInterval );
						}
					} )
					.catch( function () {} );
			}
			function onJob( event ) {
				if ( event.detail && event.detail.post_id === postId ) {
					stateHolder[ 1 ]( event.detail );
				}
			}
			load();
			window.addEventListener( 'cogvideox:job', onJob );
			return function () {
				alive = false;
				window.clearTimeout( timer );
				window.removeEventListener( 'cogvideox:job', onJob );
			};
		}, [ postId ] );

		var jobs = ( state && state.jobs ) || [];
		var body;
		if ( ! state ) {
			body = el( 'p', null, __( 'Loading…', 'cogvideox' ) );
		} else if ( ! jobs.length ) {
			body = el( 'p', null, __( 'No videos generated for this post yet. Add a "CogVideoX video" block to make one.', 'cogvideox' ) );
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
						{ key: job.task_id, className: 'cogvideox-job', 'data-status': status, 'data-task-id': job.task_id },
						el( 'strong', null, text ),
						' ',
						el( 'span', null, job.template ? sprintf( /* translators: %s: template slug */ __( 'template %s', 'cogvideox' ), job.template ) : job.prompt ),
						current && state.error ? el( 'div', { className: 'cogvideox-job-error' }, state.error ) : null,
						current && state.attachment ? el( 'div', null, el( 'a', { href: state.attachment.edit_url, target: '_blank', rel: 'noopener noreferrer' }, __( 'Open in Media Library', 'cogvideox' ) ) ) : null
					);
				} )
			);
		}
		return el( PluginDocumentSettingPanel, { name: 'cogvideox-jobs', title: __( 'CogVideoX videos', 'cogvideox' ), className: 'cogvideox-jobs-panel' }, body );
	}

	wp.plugins.registerPlugin( 'cogvideox-jobs', { render: Panel, icon: 'video-alt3' } );
} )( window.wp, window.cogvideoxSidebar || { restPath: '/cogvideox/v1', pollInterval: 3000 } );
