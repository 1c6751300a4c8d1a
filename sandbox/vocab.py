"""The words the generated B2B data is made of, shared by the HubSpot and Salesforce emulators.

Plain tuples only (immutable, no state). Weights sit next to the values they weigh, so a reader sees the
distribution the generator draws from. Industry and source values are HubSpot's internal enum values;
the Salesforce emulator maps them to its own picklists.
"""

from __future__ import annotations

FIRST_NAMES: tuple[str, ...] = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
    "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty", "Mark", "Sandra", "Steven", "Ashley",
    "Paul", "Emily", "Andrew", "Kimberly", "Joshua", "Michelle", "Kevin", "Amanda", "Brian", "Melissa",
    "Lukas", "Anna", "Felix", "Lea", "Jonas", "Hannah", "Leon", "Sophie", "Maximilian", "Marie",
    "Lucas", "Emma", "Hugo", "Chloe", "Louis", "Camille", "Mateo", "Lucia", "Pablo", "Sofia",
    "Luca", "Giulia", "Marco", "Chiara", "Lars", "Ingrid", "Sven", "Astrid", "Pieter", "Femke",
    "Raj", "Priya", "Arjun", "Ananya", "Wei", "Mei", "Hiroshi", "Yuki", "Min-jun", "Seo-yeon",
    "Omar", "Fatima", "Tariq", "Leila", "Kwame", "Amara", "Diego", "Valentina", "Joao", "Beatriz",
)

LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Mueller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Koch",
    "Dubois", "Moreau", "Laurent", "Lefebvre", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano",
    "Jansen", "de Vries", "van Dijk", "Bakker", "Andersson", "Johansson", "Karlsson", "Nielsen", "Hansen",
    "Patel", "Sharma", "Singh", "Kumar", "Wang", "Li", "Zhang", "Chen", "Tanaka", "Suzuki", "Kim", "Park",
    "Haddad", "Mensah", "Okafor", "Silva", "Santos", "Oliveira", "Costa", "Novak", "Kowalski",
)

COMPANY_PREFIXES: tuple[str, ...] = (
    "Acme", "Apex", "Blue", "Bright", "Cedar", "Cloud", "Cobalt", "Crest", "Delta", "Ember", "Evergreen",
    "Falcon", "Granite", "Harbor", "Helix", "Horizon", "Iron", "Juniper", "Keystone", "Lumen", "Maple",
    "Meridian", "Nimbus", "North", "Nova", "Oak", "Orbit", "Pine", "Pioneer", "Polar", "Quantum", "Quartz",
    "Redwood", "Ridge", "River", "Sage", "Silver", "Spark", "Summit", "Terra", "Titan", "Vector", "Vertex",
    "Willow", "Zenith", "Atlas", "Beacon", "Cascade", "Copper", "Echo",
)

COMPANY_CORES: tuple[str, ...] = (
    "Analytics", "Systems", "Logistics", "Health", "Labs", "Robotics", "Software", "Networks", "Dynamics",
    "Foods", "Energy", "Capital", "Media", "Works", "Data", "Bio", "Freight", "Retail", "Cloud", "Security",
    "Learning", "Motors", "Pharma", "Consulting", "Manufacturing", "Payments", "Devices", "Insights",
)

COMPANY_SUFFIXES: tuple[str, ...] = ("Inc", "LLC", "GmbH", "Ltd", "SA", "BV", "AB", "Group", "Corp", "AG")

# HubSpot industry enum values (company `industry`) with weights: the software-heavy mix of a B2B SaaS funnel.
INDUSTRIES: tuple[tuple[str, int], ...] = (
    ("COMPUTER_SOFTWARE", 18), ("INFORMATION_TECHNOLOGY_AND_SERVICES", 14), ("FINANCIAL_SERVICES", 8),
    ("HOSPITAL_HEALTH_CARE", 6), ("MARKETING_AND_ADVERTISING", 7), ("RETAIL", 5), ("LOGISTICS_AND_SUPPLY_CHAIN", 5),
    ("MACHINERY", 4), ("TELECOMMUNICATIONS", 4), ("EDUCATION_MANAGEMENT", 4), ("HIGHER_EDUCATION", 3),
    ("MANAGEMENT_CONSULTING", 5), ("INSURANCE", 3), ("AUTOMOTIVE", 3), ("PHARMACEUTICALS", 3),
    ("FOOD_BEVERAGES", 2), ("GOVERNMENT_ADMINISTRATION", 2), ("NONPROFIT_ORGANIZATION_MANAGEMENT", 2),
    ("REAL_ESTATE", 1), ("INTERNET", 4),
)

# Employee-count bands: (low, high, weight).
EMPLOYEE_BANDS: tuple[tuple[int, int, int], ...] = (
    (1, 10, 12), (11, 50, 22), (51, 200, 24), (201, 1000, 20), (1001, 5000, 12), (5001, 50000, 7),
    (50001, 250000, 3),
)

# Country names as HubSpot stores free-text `country`, with weights.
COUNTRIES: tuple[tuple[str, int], ...] = (
    ("United States", 38), ("United Kingdom", 10), ("Germany", 10), ("France", 6), ("Canada", 5),
    ("Netherlands", 4), ("Australia", 4), ("Spain", 3), ("Italy", 3), ("Sweden", 2), ("India", 5),
    ("Brazil", 3), ("Japan", 2), ("Singapore", 2), ("Switzerland", 2), ("Poland", 1),
)

# Job titles with weights; students and interns are the usual disqualifiers.
TITLES: tuple[tuple[str, int], ...] = (
    ("CEO", 3), ("CTO", 3), ("CFO", 1), ("Founder", 2), ("VP Marketing", 4), ("VP Sales", 3),
    ("VP Engineering", 3), ("Head of Marketing", 4), ("Head of Growth", 2), ("Director of Marketing", 5),
    ("Director of IT", 4), ("Director of Operations", 3), ("Marketing Manager", 9), ("Sales Manager", 6),
    ("IT Manager", 5), ("Product Manager", 5), ("Demand Generation Manager", 3), ("Marketing Specialist", 5),
    ("Software Engineer", 7), ("Data Analyst", 4), ("Account Executive", 4), ("Consultant", 4),
    ("Operations Coordinator", 3), ("Office Manager", 2), ("Student", 3), ("Intern", 2),
    ("Marketing Intern", 1), ("PhD Student", 1),
)

STUDENT_TITLES: frozenset[str] = frozenset({"Student", "Intern", "Marketing Intern", "PhD Student"})

FREE_MAIL_DOMAINS: tuple[str, ...] = (
    "gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "gmx.de", "web.de", "aol.com",
)

# Competitors of the (fictional) vendor running crmsync: their employees sign up to watch us.
COMPETITORS: tuple[tuple[str, str], ...] = (
    ("LeadForge", "leadforge.io"), ("RivalCRM", "rivalcrm.com"), ("ScoreHub", "scorehub.ai"),
)

# HubSpot `hs_analytics_source` values with weights.
SOURCES: tuple[tuple[str, int], ...] = (
    ("ORGANIC_SEARCH", 28), ("PAID_SEARCH", 12), ("DIRECT_TRAFFIC", 14), ("EMAIL_MARKETING", 10),
    ("SOCIAL_MEDIA", 8), ("PAID_SOCIAL", 7), ("REFERRALS", 9), ("OTHER_CAMPAIGNS", 6), ("OFFLINE", 6),
)

# HubSpot default lifecycle stages in funnel order, with weights for generated contacts.
LIFECYCLE_STAGES: tuple[tuple[str, int], ...] = (
    ("subscriber", 18), ("lead", 44), ("marketingqualifiedlead", 12), ("salesqualifiedlead", 8),
    ("opportunity", 6), ("customer", 8), ("evangelist", 1), ("other", 3),
)
SALES_STAGES: frozenset[str] = frozenset({"salesqualifiedlead", "opportunity", "customer", "evangelist"})

LEAD_STATUSES: tuple[str, ...] = (
    "NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT", "CONNECTED", "BAD_TIMING",
)

# Sales reps (HubSpot owner ids, Salesforce user names).
OWNERS: tuple[tuple[str, str, str], ...] = (
    ("48213305", "Dana", "Reyes"), ("48213306", "Tom", "Becker"), ("48213307", "Aiko", "Sato"),
    ("48213308", "Marcus", "Olsen"), ("48213309", "Priya", "Nair"), ("48213310", "Luis", "Ortega"),
)

# Form names (conversion events). The demo request is the fast-track signal.
DEMO_REQUEST_FORM = "Demo request"
FORMS: tuple[tuple[str, int], ...] = (
    ("Newsletter signup", 20), ("Ebook: The State of Lead Scoring", 14), ("Whitepaper: B2B Intent Data", 10),
    ("Webinar registration: Scoring that Sales Trusts", 10), ("Contact us", 8), ("Case study: Helix Labs", 7),
    ("Free trial", 6), (DEMO_REQUEST_FORM, 6), ("Pricing inquiry", 4),
)

# Website pages (page views), with weights; pricing and demo pages mean high intent.
PAGES: tuple[tuple[str, str, int], ...] = (
    ("/", "Home", 20), ("/blog/lead-scoring-101", "Lead scoring 101", 12),
    ("/blog/mql-vs-sql", "MQL vs SQL: what changes", 9), ("/product", "Product overview", 10),
    ("/product/integrations", "Integrations", 6), ("/solutions/saas", "Solutions for SaaS", 5),
    ("/case-studies/helix-labs", "Case study: Helix Labs", 4), ("/pricing", "Pricing", 8),
    ("/demo", "Request a demo", 3), ("/careers", "Careers", 3), ("/docs/getting-started", "Getting started", 5),
    ("/webinars/scoring-that-sales-trusts", "Webinar: Scoring that Sales Trusts", 3),
)
SITE = "https://www.example-vendor.com"

EMAIL_CAMPAIGNS: tuple[str, ...] = (
    "Monthly newsletter", "Product update: Q3", "Webinar invite: Scoring that Sales Trusts",
    "Ebook follow-up", "Nurture: week 2", "Nurture: week 4", "Customer story: Helix Labs",
)

MEETING_TITLES: tuple[str, ...] = (
    "Intro call", "Product demo", "Discovery call", "Technical deep dive", "Pricing discussion",
    "Quarterly business review",
)
MEETING_OUTCOMES: tuple[str, ...] = ("SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED")

CALL_STATUSES: tuple[str, ...] = ("COMPLETED", "BUSY", "NO_ANSWER", "FAILED", "CANCELED")
# HubSpot's default call dispositions (GUID -> label).
CALL_DISPOSITIONS: tuple[tuple[str, str], ...] = (
    ("f240bbac-87c9-4f6e-bf70-924b57d47db7", "Connected"), ("73a0d17f-1163-4015-bdd5-ec830791da20", "No answer"),
    ("b2cf5968-551e-4856-9783-52b3da59a7d0", "Left voicemail"),
    ("a4c4c377-d246-4b32-a13b-75a56a4cd0ff", "Left live message"),
    ("9d9162e7-6cf3-4944-bf63-4dff82258764", "Busy"), ("17b47fee-58de-441e-a44c-c6300d46f273", "Wrong number"),
)
CALL_BODIES: tuple[str, ...] = (
    "Discussed current lead routing and scoring gaps.", "Left a voicemail about the trial.",
    "Walked through pricing tiers.", "Follow-up on the webinar questions.",
)

EMAIL_SUBJECTS_OUT: tuple[str, ...] = (
    "Following up on your demo request", "Quick question about your lead process", "Resources from our call",
    "Your trial: next steps",
)
EMAIL_SUBJECTS_IN: tuple[str, ...] = (
    "Re: Following up on your demo request", "Re: Quick question about your lead process",
    "Re: Your trial: next steps", "Pricing question", "Can we talk next week?",
)
