"""The fixed catalogue the simulated fleet is drawn from: organizations, device types,
firmware images and locations. Plain data; `fleet.py` draws devices from it."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Organization:
    id: int
    name: str
    weight: float  # share of the fleet: organizations are deliberately unevenly sized


@dataclass(frozen=True)
class FirmwareImage:
    id: int
    version: str


@dataclass(frozen=True)
class DeviceType:
    id: int
    short_name: str
    product_class: str
    name_prefix: str
    serial_prefix: str
    manufacturer: str
    hardware_versions: tuple[str, ...]
    firmware: tuple[FirmwareImage, ...]  # oldest first; the last one is the newest
    weight: float


@dataclass(frozen=True)
class Location:
    id: int
    name: str
    short_name: str
    latitude: float
    longitude: float
    organization_id: int


# Assumption: six organizations by default; the ids include 5 and 7 (the ids the
# reference pages use in their examples). More can be asked for (up to ten).
ORGANIZATIONS = (
    Organization(5, "Andes Fiber ISP", 0.34),
    Organization(7, "Northwind Enterprise Networks", 0.22),
    Organization(11, "Costa Verde Telecom", 0.17),
    Organization(12, "Metro Hospitality Group", 0.12),
    Organization(19, "Pampa Rural Broadband", 0.09),
    Organization(23, "Harbor Logistics", 0.06),
    Organization(29, "Sierra Health Clinics", 0.05),
    Organization(31, "Lakeside University", 0.05),
    Organization(37, "Atlas Retail Stores", 0.04),
    Organization(41, "Bluewave Municipal Wi-Fi", 0.03),
)


def _images(first_id: int, versions: tuple[str, ...]) -> tuple[FirmwareImage, ...]:
    return tuple(FirmwareImage(first_id + n, v) for n, v in enumerate(versions))


DEVICE_TYPES = (
    DeviceType(
        12,
        "enterprise_router",
        "EnterpriseRouter",
        "ER",
        "ZEQER",
        "Zequenze Systems",
        ("v1.2", "v1.3", "v2.0"),
        _images(45, ("2.3.9", "2.4.0", "2.4.1", "2.5.0")),
        0.10,
    ),
    DeviceType(
        15,
        "branch_router",
        "BranchRouter",
        "BR",
        "ZEQBR",
        "Zequenze Systems",
        ("v1.0", "v1.1"),
        _images(51, ("1.8.2", "1.9.0", "1.9.4")),
        0.12,
    ),
    DeviceType(
        21,
        "home_gateway",
        "HomeGateway",
        "HGW",
        "NRLHG",
        "Norlink Networks",
        ("HG2-A", "HG2-B", "HG3"),
        _images(61, ("3.1.7", "3.2.0", "3.2.2", "3.3.1")),
        0.38,
    ),
    DeviceType(
        23,
        "ont_fiber",
        "OpticalNetworkTerminal",
        "ONT",
        "AURON",
        "Aurora Broadband",
        ("GPON-1", "XGS-1"),
        _images(71, ("5.0.12", "5.1.3", "5.1.8")),
        0.18,
    ),
    DeviceType(
        31,
        "wifi_access_point",
        "WiFiAccessPoint",
        "AP",
        "MRDAP",
        "Meridian Wireless",
        ("ax1800", "ax3000"),
        _images(81, ("7.2.1", "7.3.0", "7.4.2")),
        0.12,
    ),
    DeviceType(
        34,
        "network_switch",
        "NetworkSwitch",
        "SW",
        "ZEQSW",
        "Zequenze Systems",
        ("24P-r1", "48P-r2"),
        _images(91, ("4.0.5", "4.1.1")),
        0.06,
    ),
    DeviceType(
        40,
        "lte_cpe",
        "LTECustomerPremises",
        "LTE",
        "KSTLT",
        "Kestrel Mobile",
        ("cat6", "cat12"),
        _images(101, ("1.0.9", "1.1.4", "1.2.0")),
        0.04,
    ),
)

DEVICE_TYPES_BY_ID = {t.id: t for t in DEVICE_TYPES}
FIRMWARE_BY_ID = {image.id: image for t in DEVICE_TYPES for image in t.firmware}
FIRMWARE_TYPE_BY_ID = {image.id: t.id for t in DEVICE_TYPES for image in t.firmware}

# (name, short name, latitude, longitude) per site; each organization gets the sites
# listed against it. Coordinates are real cities so a map looks right.
_SITES = {
    5: (
        ("Bogota Chapinero POP", "bog_chapinero", 4.6486, -74.0628),
        ("Bogota Suba Headend", "bog_suba", 4.7410, -74.0836),
        ("Medellin Poblado POP", "mde_poblado", 6.2086, -75.5659),
        ("Cali Granada Cabinet", "clo_granada", 3.4574, -76.5338),
        ("Quito Norte Hub", "uio_norte", -0.1807, -78.4678),
        ("Lima Miraflores POP", "lim_miraflores", -12.1211, -77.0297),
    ),
    7: (
        ("New York Branch Office", "ny_branch", 40.7128, -74.0060),
        ("Boston Branch Office", "bos_branch", 42.3601, -71.0589),
        ("Chicago Data Center", "chi_dc", 41.8781, -87.6298),
        ("Toronto Regional Office", "yyz_office", 43.6532, -79.3832),
        ("Denver Warehouse", "den_wh", 39.7392, -104.9903),
    ),
    11: (
        ("San Jose Escazu Hub", "sjo_escazu", 9.9189, -84.1400),
        ("Panama City Marbella POP", "pty_marbella", 8.9833, -79.5167),
        ("Guatemala Zona 10 POP", "gua_z10", 14.6000, -90.5100),
        ("Managua Centro Cabinet", "mga_centro", 12.1364, -86.2514),
    ),
    12: (
        ("Cancun Hotel Zone Resort", "cun_resort", 21.1333, -86.7500),
        ("Miami Beach Hotel", "mia_hotel", 25.7907, -80.1300),
        ("Madrid Gran Via Hotel", "mad_hotel", 40.4203, -3.7058),
    ),
    19: (
        ("Pergamino Tower", "prg_tower", -33.8897, -60.5736),
        ("Rosario Sur Node", "ros_sur", -32.9587, -60.6930),
        ("Tandil Sierra Node", "tdl_node", -37.3217, -59.1332),
    ),
    23: (
        ("Valparaiso Port Yard", "vap_yard", -33.0472, -71.6127),
        ("Callao Container Terminal", "cll_terminal", -12.0500, -77.1333),
    ),
    29: (
        ("Monterrey Clinic Centro", "mty_clinic", 25.6866, -100.3161),
        ("Guadalajara Clinic Norte", "gdl_clinic", 20.6597, -103.3496),
    ),
    31: (
        ("Lakeside Campus Library", "lsu_library", 43.0731, -89.4012),
        ("Lakeside Campus Dorms", "lsu_dorms", 43.0766, -89.4125),
    ),
    37: (
        ("Santiago Mall Store", "scl_store", -33.4489, -70.6693),
        ("Montevideo Centro Store", "mvd_store", -34.9011, -56.1645),
    ),
    41: (
        ("Asuncion Plaza Uruguaya", "asu_plaza", -25.2822, -57.6351),
        ("Asuncion Costanera", "asu_costanera", -25.2770, -57.6420),
    ),
}


def _locations() -> tuple[Location, ...]:
    result = []
    next_id = 20
    for org_id, sites in _SITES.items():
        for name, short, lat, lon in sites:
            result.append(Location(next_id, name, short, lat, lon, org_id))
            next_id += 1
    return tuple(result)


LOCATIONS = _locations()
LOCATIONS_BY_NAME = {loc.name: loc for loc in LOCATIONS}
LOCATIONS_BY_ORG = {
    org.id: tuple(loc for loc in LOCATIONS if loc.organization_id == org.id)
    for org in ORGANIZATIONS
}

MAX_ORGANIZATIONS = len(ORGANIZATIONS)


def organizations(count: int) -> tuple[Organization, ...]:
    if not 1 <= count <= MAX_ORGANIZATIONS:
        raise ValueError(f"organizations must be between 1 and {MAX_ORGANIZATIONS}")
    return ORGANIZATIONS[:count]
