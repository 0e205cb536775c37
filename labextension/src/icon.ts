import { LabIcon } from '@jupyterlab/ui-components';

/** The Runs sidebar's tab icon: three runs as rising bars. */
export const runsIcon = new LabIcon({
  name: 'nbtrack:runs',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">' +
    '<g class="jp-icon3" fill="#616161">' +
    '<rect x="3" y="13" width="4" height="8" rx="1"/>' +
    '<rect x="10" y="8" width="4" height="13" rx="1"/>' +
    '<rect x="17" y="3" width="4" height="18" rx="1"/>' +
    '</g></svg>'
});

/** The Models sidebar's tab icon: a box with a tag. */
export const modelsIcon = new LabIcon({
  name: 'nbtrack:models',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">' +
    '<g class="jp-icon3" fill="#616161">' +
    '<path d="M12 2 3 7v10l9 5 9-5V7l-9-5zm0 2.3L18.6 8 12 11.7 5.4 8 12 4.3zM5 9.7l6 3.4v6.6l-6-3.4V9.7zm8 10V13l6-3.4v6.6l-6 3.5z"/>' +
    '</g></svg>'
});
