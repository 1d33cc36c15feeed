"""Event footprints on a map of the contiguous US (cartopy + matplotlib), drawn fully offline.

Coastlines, country borders and state lines come from the Natural Earth files shipped in
``assets/cartopy`` (cartopy's own directory layout; see its PROVENANCE.md). Cartopy is pointed
at them through ``cartopy.config["pre_existing_data_dir"]``, and every feature names its
resolution explicitly: the default "auto" picks 10m on small extents and would download.

A SEVIR patch is a square in its own Lambert azimuthal equal-area projection (the catalog's
``proj`` string), known by its lower-left and upper-right corners in lat/lon. The footprint is
that square, densified along its edges in projected metres and turned back into lon/lat, so it
keeps its true (slightly curved) shape on any map projection.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Sequence

import numpy as np

ASSET_DIR = Path(__file__).resolve().parents[2] / "assets" / "cartopy"
# Map frame: a CONUS view in the same family of projection SEVIR uses for its patches.
CONUS_CENTER = (-98.0, 38.0)  # lon, lat
CONUS_EXTENT = (-121.0, -70.0, 22.0, 50.5)  # lon_min, lon_max, lat_min, lat_max
# (category, name, resolution) of the shipped Natural Earth layers.
LAYERS = (
    ("physical", "coastline", "50m"),
    ("physical", "lakes", "10m"),  # large lakes only (the Great Lakes have no coastline otherwise)
    ("cultural", "admin_0_boundary_lines_land", "50m"),
    ("cultural", "admin_1_states_provinces_lines", "10m"),
)
FOOTPRINT_COLOR = "#d62728"


def use_shipped_natural_earth(data_dir: Path = ASSET_DIR) -> None:
    """Make cartopy read Natural Earth from ``data_dir``; ValueError if a layer file is missing."""
    import cartopy

    for category, name, resolution in LAYERS:
        shp = data_dir / "shapefiles" / "natural_earth" / category / f"ne_{resolution}_{name}.shp"
        if not shp.exists():
            raise ValueError(f"map data: expected the Natural Earth file {shp}, got nothing there")
    cartopy.config["pre_existing_data_dir"] = str(data_dir)


def _transformer(proj: str):
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_user_input(proj)
    except CRSError as error:
        raise ValueError(f"event proj: expected a Proj4 string such as '+proj=laea ...', "
                         f"got {proj!r} ({error})") from None
    return Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True)


def footprint_lonlat(corners: Sequence[float], proj: str, points_per_edge: int = 16) -> np.ndarray:
    """The patch outline in lon/lat, closed: (4 * points_per_edge + 1, 2).

    Parameters
    ----------
    corners : (llcrnrlat, llcrnrlon, urcrnrlat, urcrnrlon), degrees
    proj : the event's Proj4 string (SEVIR: Lambert azimuthal equal-area)

    Vertex 0 is the lower-left corner, vertex ``2 * points_per_edge`` the upper-right one.
    """
    lat0, lon0, lat1, lon1 = (float(c) for c in corners)
    if not (-90 <= lat0 <= 90 and -90 <= lat1 <= 90):
        raise ValueError(f"event corners: expected latitudes in [-90, 90], got {lat0} and {lat1}")
    forward = _transformer(proj)
    (x0, x1), (y0, y1) = forward.transform([lon0, lon1], [lat0, lat1])
    if not np.all(np.isfinite([x0, x1, y0, y1])) or x1 <= x0 or y1 <= y0:
        raise ValueError(f"event corners: expected lower-left below and left of upper-right, got {tuple(corners)}")
    s = np.linspace(0.0, 1.0, points_per_edge, endpoint=False)
    xs = np.concatenate([x0 + (x1 - x0) * s, np.full_like(s, x1), x1 - (x1 - x0) * s, np.full_like(s, x0), [x0]])
    ys = np.concatenate([np.full_like(s, y0), y0 + (y1 - y0) * s, np.full_like(s, y1), y1 - (y1 - y0) * s, [y0]])
    lon, lat = forward.transform(xs, ys, direction="INVERSE")
    return np.column_stack([lon, lat])


def _image_mesh(corners: Sequence[float], proj: str, image: np.ndarray, max_cells: int = 128):
    """Lon/lat of the pixel edges of ``image`` (row 0 north) in the event's projection, max-pooled
    to at most ``max_cells`` per side: a 384 x 384 mesh would cost seconds for a thumbnail map."""
    h, w = image.shape
    factor = max(1, -(-max(h, w) // max_cells))
    if h % factor or w % factor:
        factor = 1
    image = image.reshape(h // factor, factor, w // factor, factor).max(axis=(1, 3))
    forward = _transformer(proj)
    (x0, x1), (y0, y1) = forward.transform([corners[1], corners[3]], [corners[0], corners[2]])
    xs, ys = np.meshgrid(np.linspace(x0, x1, image.shape[1] + 1), np.linspace(y1, y0, image.shape[0] + 1))
    lon, lat = forward.transform(xs, ys, direction="INVERSE")
    return lon, lat, image


def footprint_map(
    corners: Sequence[float],
    proj: str,
    *,
    image: np.ndarray | None = None,
    title: str = "",
    data_dir: Path = ASSET_DIR,
    size_in: tuple[float, float] = (7.0, 4.6),
):
    """A matplotlib Figure: CONUS with coastlines, borders, state lines and the event's footprint.

    ``image`` (H, W) encoded VIL, optional, is drawn inside the footprint in the event's own
    projection with the SEVIR colour table (e.g. the event's maximum over time), row 0 north.
    """
    import cartopy.crs as ccrs
    import cartopy.feature as cfeature
    from matplotlib.figure import Figure

    from .vil_colormap import matplotlib_cmap

    use_shipped_natural_earth(data_dir)
    outline = footprint_lonlat(corners, proj)
    fig = Figure(figsize=size_in, dpi=100, layout="constrained")
    ax = fig.add_subplot(1, 1, 1, projection=ccrs.LambertAzimuthalEqualArea(*CONUS_CENTER))
    ax.set_extent(CONUS_EXTENT, crs=ccrs.PlateCarree())
    ax.add_feature(cfeature.NaturalEarthFeature(
        "physical", "lakes", "10m", edgecolor="#333333", facecolor="#dbe9f6", linewidth=0.5))
    ax.add_feature(cfeature.NaturalEarthFeature(
        "physical", "coastline", "50m", edgecolor="#333333", facecolor="none", linewidth=0.7))
    ax.add_feature(cfeature.NaturalEarthFeature(
        "cultural", "admin_0_boundary_lines_land", "50m", edgecolor="#333333", facecolor="none", linewidth=0.7))
    ax.add_feature(cfeature.NaturalEarthFeature(
        "cultural", "admin_1_states_provinces_lines", "10m", edgecolor="#999999", facecolor="none", linewidth=0.4))
    if image is not None:
        lon, lat, values = _image_mesh(corners, proj, np.asarray(image))
        cmap, norm = matplotlib_cmap()
        cmap = cmap.with_extremes(bad=(0.0, 0.0, 0.0, 0.0))  # masked cells transparent, not black
        masked = np.ma.masked_less(values, 16)  # below the lowest threshold: let the map show through
        ax.pcolormesh(lon, lat, masked, cmap=cmap, norm=norm, transform=ccrs.PlateCarree(), zorder=2)
    ax.plot(outline[:, 0], outline[:, 1], color=FOOTPRINT_COLOR, linewidth=1.8,
            transform=ccrs.Geodetic(), zorder=3, label="event footprint")
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def figure_png(fig, dpi: int = 100) -> bytes:
    """PNG bytes of a matplotlib Figure (for caching and ``st.image``)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


# Regions an analyst can filter events by: (lat_min, lat_max, lon_min, lon_max), degrees.
# Rectangular envelopes (rounded outward to about 0.1 degree), so an event near a border can
# match two states; named regions follow common usage (NWS/NOAA climate regions, loosely).
NAMED_REGIONS: dict[str, tuple[float, float, float, float]] = {
    "Great Plains": (31.0, 49.0, -105.0, -95.0),
    "Tornado Alley": (32.0, 43.0, -103.0, -93.0),
    "Midwest": (36.0, 49.0, -98.0, -80.0),
    "Northeast": (38.0, 47.5, -81.0, -66.9),
    "Southeast": (24.5, 37.0, -92.0, -75.0),
    "Gulf Coast": (25.0, 31.5, -98.0, -81.0),
    "Southwest": (31.3, 42.0, -120.0, -103.0),
    "Pacific Northwest": (42.0, 49.0, -124.8, -111.0),
}
US_STATES: dict[str, tuple[float, float, float, float]] = {
    "Alabama": (30.2, 35.0, -88.5, -84.9), "Arizona": (31.3, 37.0, -114.8, -109.0),
    "Arkansas": (33.0, 36.5, -94.6, -89.6), "California": (32.5, 42.0, -124.4, -114.1),
    "Colorado": (37.0, 41.0, -109.1, -102.0), "Connecticut": (41.0, 42.1, -73.7, -71.8),
    "Delaware": (38.4, 39.9, -75.8, -75.0), "Florida": (24.5, 31.0, -87.6, -80.0),
    "Georgia": (30.4, 35.0, -85.6, -80.8), "Idaho": (42.0, 49.0, -117.2, -111.0),
    "Illinois": (37.0, 42.5, -91.5, -87.0), "Indiana": (37.8, 41.8, -88.1, -84.8),
    "Iowa": (40.4, 43.5, -96.6, -90.1), "Kansas": (37.0, 40.0, -102.1, -94.6),
    "Kentucky": (36.5, 39.1, -89.6, -81.9), "Louisiana": (28.9, 33.0, -94.1, -88.8),
    "Maine": (43.0, 47.5, -71.1, -66.9), "Maryland": (37.9, 39.8, -79.5, -75.0),
    "Massachusetts": (41.2, 42.9, -73.5, -69.9), "Michigan": (41.7, 48.3, -90.4, -82.4),
    "Minnesota": (43.5, 49.4, -97.2, -89.5), "Mississippi": (30.2, 35.0, -91.7, -88.1),
    "Missouri": (36.0, 40.6, -95.8, -89.1), "Montana": (44.4, 49.0, -116.1, -104.0),
    "Nebraska": (40.0, 43.0, -104.1, -95.3), "Nevada": (35.0, 42.0, -120.0, -114.0),
    "New Hampshire": (42.7, 45.3, -72.6, -70.6), "New Jersey": (38.9, 41.4, -75.6, -73.9),
    "New Mexico": (31.3, 37.0, -109.1, -103.0), "New York": (40.5, 45.0, -79.8, -71.8),
    "North Carolina": (33.8, 36.6, -84.3, -75.4), "North Dakota": (45.9, 49.0, -104.1, -96.5),
    "Ohio": (38.4, 42.0, -84.8, -80.5), "Oklahoma": (33.6, 37.0, -103.0, -94.4),
    "Oregon": (42.0, 46.3, -124.6, -116.5), "Pennsylvania": (39.7, 42.3, -80.5, -74.7),
    "Rhode Island": (41.1, 42.1, -71.9, -71.1), "South Carolina": (32.0, 35.2, -83.4, -78.5),
    "South Dakota": (42.5, 45.9, -104.1, -96.4), "Tennessee": (35.0, 36.7, -90.3, -81.6),
    "Texas": (25.8, 36.5, -106.7, -93.5), "Utah": (37.0, 42.0, -114.1, -109.0),
    "Vermont": (42.7, 45.0, -73.4, -71.5), "Virginia": (36.5, 39.5, -83.7, -75.2),
    "Washington": (45.5, 49.0, -124.8, -116.9), "West Virginia": (37.2, 40.6, -82.7, -77.7),
    "Wisconsin": (42.5, 47.1, -92.9, -86.8), "Wyoming": (41.0, 45.0, -111.1, -104.0),
}


def region_bbox(name: str) -> tuple[float, float, float, float]:
    """(lat_min, lat_max, lon_min, lon_max) of a named region or US state; ValueError if unknown."""
    regions = {**NAMED_REGIONS, **US_STATES}
    if name not in regions:
        raise ValueError(f"region: expected a named region ({', '.join(NAMED_REGIONS)}) or a contiguous "
                         f"US state, got {name!r}")
    return regions[name]
